import { existsSync, mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse } from "yaml";
import { PrometheusUnavailable, scrapeConfig, startPrometheus } from "../../local/prometheus";
import type { LocalService } from "../../local/system";

const svc = (id: string, name: string, metricsPort: number): LocalService => ({
  id,
  name,
  address: "127.0.0.1:1",
  grpcPort: 1,
  metricsPort,
  worker: 0,
});

describe("the local Prometheus scrape config", () => {
  it("is YAML with one target per service, labels intact even when a name needs quoting", () => {
    const doc = parse(scrapeConfig([svc("A", "svc-a", 9001), svc("B", 'we"ird: name', 9002)])) as {
      global: Record<string, string>;
      scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: object }[] }[];
    };
    expect(doc.global).toEqual({ scrape_interval: "1s", evaluation_interval: "5s" });
    expect(doc.scrape_configs).toEqual([
      {
        job_name: "slop",
        static_configs: [
          { targets: ["127.0.0.1:9001"], labels: { slop_service: "A", service: "svc-a" } },
          { targets: ["127.0.0.1:9002"], labels: { slop_service: "B", service: 'we"ird: name' } },
        ],
      },
    ]);
  });
});

describe("startPrometheus", () => {
  it("throws PrometheusUnavailable (not an error string) when prometheus is not on PATH, and writes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slop-prom-"));
    try {
      const err: unknown = await startPrometheus(
        dir,
        [svc("A", "svc-a", 9001)],
        "slop-no-such-prometheus",
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PrometheusUnavailable);
      expect((err as Error).message).toMatch(/^prometheus not found on PATH/);
      expect(existsSync(join(dir, "prometheus"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
