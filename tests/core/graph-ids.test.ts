import fc from "fast-check";
import { compareIds, indexOfId, serviceId, serviceName } from "../../core/ids";

describe("service ids (bijective base-26)", () => {
  it.each([
    [0, "A"],
    [1, "B"],
    [25, "Z"],
    [26, "AA"],
    [27, "AB"],
    [51, "AZ"],
    [52, "BA"],
    [701, "ZZ"],
    [702, "AAA"],
    [99_999, "EQXD"],
  ])("serviceId(%i) = %s", (i, id) => {
    expect(serviceId(i)).toBe(id);
    expect(indexOfId(id)).toBe(i);
  });

  it("round-trips and orders like the index", () => {
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.nat(10_000_000), (i, j) => {
        expect(indexOfId(serviceId(i))).toBe(i);
        expect(Math.sign(compareIds(serviceId(i), serviceId(j)))).toBe(Math.sign(i - j));
      }),
    );
  });

  it.each([-1, 1.5, Number.NaN])("serviceId rejects %p", (i) => {
    expect(() => serviceId(i)).toThrow(/non-negative integer/);
  });

  it.each(["", "a", "A1", "svc-a"])("indexOfId and serviceName reject %p", (id) => {
    expect(() => indexOfId(id)).toThrow(/\[A-Z\]\+/);
    expect(() => serviceName(id)).toThrow(/\[A-Z\]\+/);
  });

  it("names are DNS labels derived from the id", () => {
    expect(serviceName("A")).toBe("svc-a");
    expect(serviceName("EQXD")).toBe("svc-eqxd");
    fc.assert(
      fc.property(fc.nat(1_000_000), (i) => {
        expect(serviceName(serviceId(i))).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
      }),
    );
  });
});
