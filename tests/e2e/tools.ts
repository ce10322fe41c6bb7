/** Where the real-engine tests find their tools; it lives in testkit/ so bench/ can use it too. */
export * from "../../testkit/e2e-tools";
