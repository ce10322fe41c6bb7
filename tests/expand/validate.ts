/** The Kubernetes schema validators, shared with bench/ (testkit/: bench must not import tests/). */
export * from "../../testkit/k8s-validate";
