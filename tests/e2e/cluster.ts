/** The control plane for the real-engine tests; it lives in testkit/ so bench/ can use it too. */
export * from "../../testkit/e2e-cluster";
