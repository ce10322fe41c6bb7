/** The Pulumi mocks, shared with bench/ (testkit/: bench must not import tests/). */
export * from "../../testkit/pulumi-mocks";
