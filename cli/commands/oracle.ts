import { existsSync, statSync } from "fs";
import { join } from "path";
import type { Command } from "commander";
import { ConfigError } from "../../core/config";
import { expand } from "../../core/expand";
import { checkSystem } from "../../core/incidents";
import {
  baselineViolations,
  judgeMitigation,
  scoreAnswer,
  type Answer,
  type Measured,
  type Window,
} from "../../core/oracle";
import { isPlainObject } from "../../core/errors";
import { UsageError } from "../errors";
import { numberFlag } from "../../loadgen/options";
import { addGenerationOptions, loadSpec, readDocument } from "../input";
import type { GenerationOptions } from "../input";
import { loadIncident } from "./incident";

const EXAMPLES = `
The answer is JSON: {"detected": true, "localization": ["C", "B->C"], "kind": "partition"}.
Mitigation is judged when --live is given: the gateway must meet the SLO (--measured, a run's
summary with successRate and p99Ms) AND the live objects must still match the baseline render.

Examples:
  $ slop oracle --seed 42 --incident incident.json --answer answer.json
  $ slop oracle --seed 1 --services 8 --incident rca/grader/ep0001 --answer answer.json   # an episode of a sweep
  $ slop oracle --seed 42 --incident incident.json --answer answer.json --window 0:20   # a window without the fault
  $ kubectl get deploy,svc,cm,netpol,hpa,pvc,pdb,storageclass -n slop -o json > live.json
  $ slop oracle --seed 42 --incident incident.json --answer answer.json --live live.json --measured summary.json
`;

interface OracleFlags extends GenerationOptions {
  readonly incident?: string;
  readonly answer?: string;
  readonly window?: string;
  readonly k?: string;
  readonly live?: string;
  readonly measured?: string;
  readonly sloSuccess?: string;
  readonly sloP99Ms?: string;
}

/** --incident: an Incident file, or an episode's directory (its grader half, or the one holding it). */
function incidentFile(v: string | undefined): string {
  const given = required("--incident", v);
  if (!existsSync(given) || !statSync(given).isDirectory()) return given;
  const found = [join(given, "incident.json"), join(given, "grader", "incident.json")].find((f) =>
    existsSync(f),
  );
  if (found === undefined) {
    throw new ConfigError(
      "--incident",
      given,
      "an Incident file, or an episode directory (DIR/grader/incident.json)",
    );
  }
  return found;
}

function required(flag: string, v: string | undefined): string {
  if (v === undefined) throw new ConfigError(flag, v, "a file");
  return v;
}

function windowFlag(v: string | undefined): Window | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9.]+):([0-9.]+)$/.exec(v);
  if (!m || !(Number(m[1]) < Number(m[2])))
    throw new ConfigError("--window", v, "START:END seconds with START < END");
  return { startS: Number(m[1]), endS: Number(m[2]) };
}

// `usage` is what an agent reports it spent (slop eval's answer, core/eval/answer.ts); not scored here.
const ANSWER_KEYS = ["detected", "localization", "kind", "usage"];

function answerOf(raw: unknown): Answer {
  if (!isPlainObject(raw)) {
    throw new ConfigError(
      "answer",
      raw,
      'an object such as {"detected": true, "localization": ["C"], "kind": "partition"}',
    );
  }
  const o = raw;
  const unknown = Object.keys(o).find((k) => !ANSWER_KEYS.includes(k));
  if (unknown !== undefined)
    throw new ConfigError(
      `answer.${unknown}`,
      o[unknown],
      `absent: an answer has only ${ANSWER_KEYS.join(", ")}`,
    );
  if (o.detected !== undefined && typeof o.detected !== "boolean")
    throw new ConfigError("answer.detected", o.detected, "true or false");
  if (
    o.localization !== undefined &&
    !(Array.isArray(o.localization) && o.localization.every((s) => typeof s === "string"))
  ) {
    throw new ConfigError("answer.localization", o.localization, 'a list of suspects such as ["B", "B->C"]');
  }
  if (o.kind !== undefined && typeof o.kind !== "string")
    throw new ConfigError("answer.kind", o.kind, "a fault kind");
  return o as Answer;
}

function measuredOf(raw: unknown): Measured {
  const o = (Array.isArray(raw) ? raw[raw.length - 1] : raw) as Record<string, unknown> | undefined;
  const s = o?.successRate;
  const p = o?.p99Ms;
  if (typeof s !== "number" || typeof p !== "number") {
    throw new ConfigError("--measured", raw, "a run summary with numbers successRate and p99Ms");
  }
  if (!(s >= 0 && s <= 1)) throw new ConfigError("--measured successRate", s, "a number in 0..1");
  if (!(p >= 0 && Number.isFinite(p)))
    throw new ConfigError("--measured p99Ms", p, "a number of milliseconds >= 0");
  return { successRate: s, p99Ms: p };
}

function liveItems(raw: unknown): unknown[] {
  if (Array.isArray(raw)) return raw;
  const items = (raw as { items?: unknown } | null)?.items;
  if (!Array.isArray(items))
    throw new ConfigError("--live", "(document)", "kubectl get -o json output (a List with items)");
  return items;
}

/** `slop oracle`: score an answer against an incident's ground truth; judge a mitigation. */
export function register(program: Command, _setExit: (code: number) => void): void {
  addGenerationOptions(
    program
      .command("oracle")
      .description("score an answer (detection, localization, kind, mitigation) against an incident"),
  )
    .option(
      "--incident <file>",
      "the incident (slop incident generate), or an episode's directory (its grader/incident.json)",
    )
    .option("--answer <file>", "the answer (JSON)")
    .option(
      "--window <s:e>",
      "the window the detection answer is about, in seconds of the run [default: the fault window]",
    )
    .option("--k <n>", "top-k for localization [default: 3]")
    .option("--live <file>", "kubectl get -o json of the system after the mitigation")
    .option("--measured <file>", "summary (successRate, p99Ms) measured after the mitigation")
    .option("--slo-success <r>", "SLO: least success rate at the gateway [default: 0.99]")
    .option("--slo-p99-ms <ms>", "SLO: largest p99 latency at the gateway [default: the request timeout]")
    .addHelpText("after", EXAMPLES)
    .action((opts: OracleFlags) => {
      if (opts.live === undefined) {
        const ignored = [
          ["--measured", opts.measured],
          ["--slo-success", opts.sloSuccess],
          ["--slo-p99-ms", opts.sloP99Ms],
        ].find(([, v]) => v !== undefined);
        if (ignored !== undefined) {
          throw new UsageError(
            `${ignored[0]} judges a mitigation, which needs --live (kubectl get -o json of the system after it)`,
          );
        }
      }
      const spec = loadSpec(opts);
      const incident = loadIncident(incidentFile(opts.incident));
      checkSystem(spec, incident);
      const answer = answerOf(readDocument(required("--answer", opts.answer)));
      const score = scoreAnswer(incident, answer, {
        window: windowFlag(opts.window),
        k: numberFlag("--k", opts.k, 3, 1, 1000, true),
      });
      let mitigation = null;
      if (opts.live !== undefined) {
        const measured = measuredOf(readDocument(required("--measured", opts.measured)));
        const slo = {
          minSuccessRate: numberFlag("--slo-success", opts.sloSuccess, 0.99, 0, 1),
          maxP99Ms: numberFlag("--slo-p99-ms", opts.sloP99Ms, spec.config.requestTimeoutMs, 0, 3_600_000),
        };
        const violations = baselineViolations(spec, expand(spec), liveItems(readDocument(opts.live)));
        mitigation = judgeMitigation(violations, slo, measured);
      }
      process.stdout.write(`${JSON.stringify({ ...score, mitigation }, null, 2)}\n`);
    });
}
