import { stepSets, type Step } from "../../testkit/preview-steps";

const pvc = (name: string) => ({
  type: "kubernetes:core/v1:PersistentVolumeClaim",
  inputs: { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: "ns" } },
});

describe("stepSets", () => {
  it("keys a replacement under the same name as replaced", () => {
    const steps: Step[] = [{ op: "replace", urn: "u", oldState: pvc("a"), newState: pvc("a") }];
    expect(stepSets(steps)).toEqual({
      created: [],
      updated: [],
      replaced: ["v1/PersistentVolumeClaim/ns/a"],
      deleted: [],
    });
  });

  it("keys a replacement under another name as the new object created and the old deleted", () => {
    const steps: Step[] = [{ op: "replace", urn: "u", oldState: pvc("a"), newState: pvc("b") }];
    expect(stepSets(steps)).toEqual({
      created: ["v1/PersistentVolumeClaim/ns/b"],
      updated: [],
      replaced: [],
      deleted: ["v1/PersistentVolumeClaim/ns/a"],
    });
  });
});
