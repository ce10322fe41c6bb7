/**
 * settle() waits for the Pulumi runtime's outstanding registrations, not for a quiet period: a
 * registration that the (mock) engine answers late, and a resource built inside an `apply` of its
 * output, are both recorded when it returns.
 */
import * as pulumi from "@pulumi/pulumi";
import { settle } from "./harness";

const registered: string[] = [];
let slowAnswered = false;

void pulumi.runtime.setMocks(
  {
    async newResource(args) {
      // The engine answers this one late: far longer than any quiet period a poll would allow.
      if (args.name === "slow") await new Promise((r) => setTimeout(r, 600));
      if (args.name === "slow") slowAnswered = true;
      registered.push(args.name);
      return { id: `${args.name}-id`, state: { ...args.inputs, out: `${args.name}-out` } };
    },
    call: (args) => args.inputs,
  },
  "settle",
  "test",
);

class Thing extends pulumi.CustomResource {
  declare readonly out: pulumi.Output<string>;
  constructor(name: string, args: { readonly input?: pulumi.Input<string> }) {
    super("test:index:Thing", name, { ...args, out: undefined });
  }
}

it("returns only after a late answer and the resources made from it in an apply", async () => {
  const slow = new Thing("slow", {});
  slow.out.apply((o) => new Thing("from-apply", { input: o }));
  new Thing("after", { input: slow.out });
  await settle();
  expect(slowAnswered).toBe(true);
  expect([...registered].sort()).toEqual(["after", "from-apply", "slow"]);
});
