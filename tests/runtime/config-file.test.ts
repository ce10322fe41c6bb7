import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { UserError } from "../../core/errors";
import { applyEnv, loadRuntimeConfig, validateRuntimeConfig } from "../../runtime/config-file";
import { cfgOf } from "./helpers";

const base = cfgOf("B", ["C,cpu"], { callees: { C: "c.ns.svc.cluster.local:50051" } });

describe("runtime config file", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "slop-cfg-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads back exactly what runtimeConfig() wrote", () => {
    const file = join(dir, "service.json");
    writeFileSync(file, JSON.stringify(base));
    expect(loadRuntimeConfig(file, {})).toEqual(base);
  });

  it.each([
    ["paths", [], "paths must be a non-empty list (each item a non-empty string, <= 65536 chars) (got [])"],
    ["maxInFlight", 0, "maxInFlight must be an integer in 1..1000000 (got 0)"],
    ["kind", "System", 'kind must be "ServiceConfig"'],
    ["callees", { C: "nope" }, 'callees.C must be "host:port" (got "nope")'],
    ["class", "db2", "class must be one of gateway|stateless|cache|db"],
    ["opCosts", { ...base.opCosts, cpuMs: 60_001 }, "opCosts.cpuMs must be a number in 0..60000 (got 60001)"],
    ["opCosts", { ...base.opCosts, ioOps: 1.5 }, "opCosts.ioOps must be an integer in 0..100000 (got 1.5)"],
  ])("rejects a bad %s naming the key and what is allowed", (key, value, message) => {
    expect(() => validateRuntimeConfig({ ...base, [key]: value })).toThrow(message);
  });

  it("rejects a bad latency distribution", () => {
    const faults = { ...base.faults, latency: { distribution: "normal", ms: 1 } };
    expect(() => validateRuntimeConfig({ ...base, faults })).toThrow(
      'faults.latency.distribution must be one of fixed|uniform|exponential (got "normal")',
    );
  });

  it("reads a callee's gray-failure knobs, and names the key of a bad one", () => {
    const gray = { lossRate: 0.3, responseLossRate: 0.2, flap: { periodMs: 4000, downMs: 1600 } };
    const faults = { ...base.faults, callees: { C: gray } };
    expect(validateRuntimeConfig({ ...base, faults }).faults.callees).toEqual({ C: gray });
    expect(() =>
      validateRuntimeConfig({
        ...base,
        faults: { ...base.faults, callees: { C: { flap: { periodMs: 10, downMs: 5 } } } },
      }),
    ).toThrow("faults.callees.C.flap.periodMs must be a number in 100..3600000 (got 10)");
    expect(() =>
      validateRuntimeConfig({ ...base, faults: { ...base.faults, callees: { C: { lossRate: 2 } } } }),
    ).toThrow("faults.callees.C.lossRate must be a number in 0..1 (got 2)");
  });

  it("reads a callee's retry policy and dropped connections (one schema), and names a bad key", () => {
    const knobs = { connectDropped: true, retryPolicy: { maxAttempts: 4, perTryTimeoutMs: 100 } };
    const faults = { ...base.faults, callees: { C: knobs } };
    expect(validateRuntimeConfig({ ...base, faults }).faults.callees).toEqual({ C: knobs });
    expect(() =>
      validateRuntimeConfig({
        ...base,
        faults: { ...base.faults, callees: { C: { retryPolicy: { maxAttempts: 0, perTryTimeoutMs: 100 } } } },
      }),
    ).toThrow("faults.callees.C.retryPolicy.maxAttempts must be an integer in 1..100 (got 0)");
    expect(() =>
      validateRuntimeConfig({ ...base, faults: { ...base.faults, callees: { C: { retries: 3 } } } }),
    ).toThrow("faults.callees.C.retries must be a known key");
  });

  it("rejects an unknown key instead of ignoring it", () => {
    expect(() => validateRuntimeConfig({ ...base, maxInflight: 3 })).toThrow(
      "maxInflight must be a known key (unknown key; allowed: apiVersion|kind|",
    );
    expect(() => validateRuntimeConfig({ ...base, faults: { ...base.faults, rate: 1 } })).toThrow(
      "faults.rate must be a known key",
    );
  });

  it("names the file and the key when the file is invalid", () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ ...base, maxHops: 0 }));
    expect(() => loadRuntimeConfig(file, {})).toThrow(
      `${file}: maxHops must be an integer in 1..10000 (got 0)`,
    );
  });

  it("names the file when it cannot be read", () => {
    expect(() => loadRuntimeConfig(join(dir, "none.json"), {})).toThrow(UserError);
    expect(() => loadRuntimeConfig(join(dir, "none.json"), {})).toThrow("none.json");
  });

  it("applies port and fault overrides from the environment", () => {
    const cfg = applyEnv(base, {
      SLOP_GRPC_PORT: "7000",
      SLOP_METRICS_PORT: "0",
      SLOP_FAULT_ERROR_RATE: "0.5",
      SLOP_FAULT_ERROR_CODE: "8",
      SLOP_FAULT_LATENCY_MS: "25",
      SLOP_FAULT_LATENCY_DIST: "exponential",
      SLOP_FAULT_FAIL_STARTUP: "true",
    });
    expect(cfg.ports).toEqual({ grpc: 7000, metrics: 0 });
    expect(cfg.faults).toEqual({
      errorRate: 0.5,
      errorCode: 8,
      latency: { distribution: "exponential", ms: 25 },
      failStartup: true,
    });
    expect(applyEnv(base, { SLOP_FAULT_ERROR_RATE: "" })).toEqual(base);
  });

  it.each([
    ["SLOP_FAULT_ERROR_RATE", "1.5", "SLOP_FAULT_ERROR_RATE must be a number in 0..1"],
    ["SLOP_FAULT_ERROR_CODE", "0", "SLOP_FAULT_ERROR_CODE must be an integer in 1..16"],
    ["SLOP_FAULT_LATENCY_DIST", "gauss", "SLOP_FAULT_LATENCY_DIST must be one of fixed|uniform|exponential"],
    ["SLOP_FAULT_FAIL_STARTUP", "yes", "SLOP_FAULT_FAIL_STARTUP must be true, false, 1 or 0"],
    ["SLOP_GRPC_PORT", "70000", "SLOP_GRPC_PORT must be an integer in 0..65535"],
  ])("rejects %s=%p", (name, value, message) => {
    expect(() => applyEnv(base, { [name]: value })).toThrow(message);
  });
});
