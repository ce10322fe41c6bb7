/** docs/incidents.md's catalogue table says what the catalogue does: kind, layer, status and local mode. */
import { readFileSync } from "fs";
import { join } from "path";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config";
import { CATALOGUE } from "../../core/incidents";
import { generate } from "../../core/spec";

const doc = readFileSync(join(__dirname, "..", "..", "docs", "incidents.md"), "utf8");
const rows = new Map(
  doc
    .split("\n")
    .filter((l) => /^\| [a-z-]+ +\| (runtime|kubernetes) +\|/.test(l))
    .map((l) => l.split("|").map((c) => c.trim()))
    .map((c) => [c[1], { layer: c[2], status: c[6], local: c[7] }] as const),
);
const spec = generate(parseConfig({ ...DEFAULT_CONFIG, seed: "42", services: 8 }));
const svc = spec.services[1];

it("has one row per kind and no other", () => {
  expect([...rows.keys()].sort()).toEqual(CATALOGUE.map((d) => d.kind).sort());
});

it.each(CATALOGUE.map((d) => [d.kind, d]))(
  "%s: layer, status and local mode as in the catalogue",
  (_k, d) => {
    const row = rows.get(d.kind);
    expect(row?.layer).toBe(d.layer);
    expect(row?.status).toBe(
      d.kind === "error-rate" ? "the drawn code" : d.statusCode === null ? "–" : String(d.statusCode),
    );
    const target = d.candidates(spec)[0] ?? { type: "service" as const, service: svc.id };
    expect(row?.local.split(" ")[0]).toBe(d.local(target, {}, svc, spec).mode);
  },
);
