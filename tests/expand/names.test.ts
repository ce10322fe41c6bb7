import { DNS_LABEL_MAX, isDnsLabel, shortHash, toDnsLabel } from "../../core/names";
import fc from "fast-check";

describe("toDnsLabel", () => {
  it.each([
    [["svc-a"], "svc-a"],
    [["svc-a", "data"], "svc-a-data"],
    [["a", "b", "c"], "a-b-c"],
  ])("keeps a valid label %j unchanged", (parts, expected) => {
    expect(toDnsLabel(...parts)).toBe(expected);
  });

  it.each([
    [["Hello", "foo_bar"], "hello-foo-bar"],
    [["hello/foo/world"], "hello-foo-world"],
    [["-x-"], "x"],
  ])("cleans %j and appends the hash of the original parts", (parts, prefix) => {
    expect(toDnsLabel(...parts)).toBe(`${prefix}-${shortHash(parts)}`);
  });

  it("shortens long names to 63 characters with an 8-hex suffix", () => {
    const long = "svc-" + "a".repeat(70);
    const out = toDnsLabel(long, "data");
    expect(out).toHaveLength(DNS_LABEL_MAX);
    expect(out).toMatch(/^svc-a+-[0-9a-f]{8}$/);
    expect(out.endsWith(shortHash([long, "data"]))).toBe(true);
  });

  it("keeps distinct long inputs distinct", () => {
    const a = toDnsLabel("x".repeat(80), "1");
    const b = toDnsLabel("x".repeat(80), "2");
    expect(a).not.toBe(b);
  });

  it("rejects an empty part list", () => {
    expect(() => toDnsLabel()).toThrow(/at least one part/);
  });

  it("always yields a DNS label, deterministically", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 4 }), (parts) => {
        const out = toDnsLabel(...parts);
        expect(isDnsLabel(out)).toBe(true);
        expect(toDnsLabel(...parts)).toBe(out);
      }),
    );
  });

  it.each([
    ["svc-a", true],
    ["a".repeat(63), true],
    ["a".repeat(64), false],
    ["Svc", false],
    ["-a", false],
    ["a-", false],
    ["", false],
  ])("isDnsLabel(%j) = %s", (s, ok) => {
    expect(isDnsLabel(s)).toBe(ok);
  });
});
