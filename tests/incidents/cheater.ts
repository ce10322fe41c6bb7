/**
 * A "cheater": an agent that never looks at the telemetry's shape, only greps every byte it is
 * given for labels (the catalogue's kind names, injection words, fault knob names, metadata keys
 * that name an incident) and guesses each episode's kind and root cause from what it finds. With
 * no label it falls back to a seeded uniform guess, which is what chance scores.
 */
import { readdirSync, readFileSync, statSync } from "fs";
import { join, relative } from "path";
import seedrandom from "seedrandom";
import { FAULT_KINDS } from "../../core/incidents";

export interface LabelHit {
  /** The file (relative to the episode), or "<command output>", or "<path>" for a file name. */
  readonly where: string;
  readonly term: string;
  readonly excerpt: string;
}

export interface Episode {
  readonly name: string;
  /** The directory the agent is given for this episode. */
  readonly dir: string;
  /** Service ids of the system (what the agent can read from the spec). */
  readonly services: readonly string[];
}

export interface Guess {
  readonly kind: string;
  readonly rootCause: string;
  /** True when the guess came from a label, false for the uniform fallback. */
  readonly fromLabels: boolean;
  readonly hits: readonly LabelHit[];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Words that name a fault kind or knob but are also what every load summary measures ("latency
 * (from intended send) p50 ..."), in every episode alike: no label. A label that names the latency
 * kind still shows, as "fault", "inject" or the knob's own name (latencyMs).
 */
const ORDINARY = new Set(["latency"]);

/**
 * The terms a label shows up as. Kind names longest first, so "crash-loop" is found before
 * "crash"; every one whole-word and case-insensitive. Knob names are matched as written
 * (camelCase) and as the words they read as ("error rate").
 */
export function labelTerms(knobNames: readonly string[]): { term: string; re: RegExp }[] {
  const kinds = FAULT_KINDS.filter((k) => !ORDINARY.has(k)).sort((a, b) => b.length - a.length);
  const knobs = knobNames.filter((k) => !ORDINARY.has(k));
  const words = [
    "inject",
    "injected",
    "injection",
    "fault",
    "faults",
    "incident",
    "incidents",
    "emulated",
    "partitioned",
    "hung",
    "leaked",
    "ground truth",
    "ground-truth",
    "groundTruth",
    "root cause",
    "rootCause",
    "chaos",
  ];
  const spaced = (k: string): string => k.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return [
    ...kinds.map((k) => ({
      term: k,
      re: new RegExp(`(?<![A-Za-z0-9_-])${escape(k)}(?![A-Za-z0-9_-])`, "i"),
    })),
    ...words.map((w) => ({ term: w, re: new RegExp(`\\b${escape(w)}`, "i") })),
    ...knobs.flatMap((k) => [
      { term: k, re: new RegExp(`\\b${escape(k)}\\b`) },
      ...(spaced(k) === k ? [] : [{ term: spaced(k), re: new RegExp(`\\b${escape(spaced(k))}\\b`, "i") }]),
    ]),
  ];
}

/** JSON keys that name an incident or its phases in run metadata (params.incident, extra.target, ...). */
const LABEL_KEYS = new Set([
  "incident",
  "incidentSeed",
  "fault",
  "faults",
  "faultWindow",
  "groundTruth",
  "rootCause",
  "phase",
  "target",
]);

function jsonKeyHits(text: string, where: string): LabelHit[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const hits: LabelHit[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (typeof v === "object" && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (LABEL_KEYS.has(k))
          hits.push({ where, term: `key ${k}`, excerpt: `${path}.${k} = ${JSON.stringify(x)}` });
        walk(x, `${path}.${k}`);
      }
    }
  };
  walk(doc, "$");
  return hits;
}

/** Every file under `dir`, recursively (relative paths). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Label hits in one text, one per term and line (at most `max`). */
export function grep(
  text: string,
  where: string,
  terms: readonly { term: string; re: RegExp }[],
  max = 20,
): LabelHit[] {
  const hits: LabelHit[] = [];
  for (const line of text.split("\n")) {
    for (const { term, re } of terms) {
      const m = re.exec(line);
      if (m === null) continue;
      const at = Math.max(0, m.index - 60);
      hits.push({ where, term, excerpt: line.slice(at, m.index + term.length + 60) });
      if (hits.length >= max) return hits;
    }
  }
  return hits;
}

/** Every label the episode's bytes hold: file names, contents (text and JSON keys). */
export function episodeHits(ep: Episode, terms: readonly { term: string; re: RegExp }[]): LabelHit[] {
  const hits: LabelHit[] = [];
  for (const file of filesUnder(ep.dir)) {
    hits.push(...grep(file, "<path>", terms));
    // Binary files (a TSDB) are read as latin1: label values there are plain ASCII too.
    const text = readFileSync(join(ep.dir, file)).toString("latin1");
    hits.push(...grep(text, file, terms));
    if (file.endsWith(".json")) hits.push(...jsonKeyHits(text, file));
    else if (file.endsWith(".jsonl")) {
      for (const line of text.split("\n")) if (line.trim() !== "") hits.push(...jsonKeyHits(line, file));
    }
  }
  return hits;
}

/** The target a key hit's value names: `{"type":"edge","caller":"D","callee":"B"}` is "D->B". */
function targetOfValue(excerpt: string): string | null {
  const value = excerpt.slice(excerpt.indexOf(" = ") + 3);
  try {
    const v = JSON.parse(value) as { service?: unknown; caller?: unknown; callee?: unknown };
    if (typeof v === "string") return /^[A-Z]+(->[A-Z]+)?$/.test(v) ? v : null;
    if (typeof v.caller === "string" && typeof v.callee === "string") return `${v.caller}->${v.callee}`;
    if (typeof v.service === "string") return v.service;
  } catch {
    /* not JSON */
  }
  return null;
}

/** A service or edge named next to a label ("at E", "target":"B->C", "E: injected", "service E"). */
function targetNear(hits: readonly LabelHit[], services: readonly string[]): string | null {
  const known = (t: string | null | undefined): t is string =>
    typeof t === "string" && services.includes(t.split("->")[0] as string);
  for (const key of ["key rootCause", "key target"]) {
    for (const h of hits.filter((x) => x.term === key)) {
      const t = targetOfValue(h.excerpt);
      if (known(t)) return t;
    }
  }
  const patterns = [
    /\bat ([A-Z]+(?:->[A-Z]+)?)\b/,
    /"?target"?\s*[:=]\s*"?([A-Z]+(?:->[A-Z]+)?)\b/,
    /\bservice ([A-Z]+)\b/,
    /\b([A-Z]+): (?:injected|unreachable|crash|start-up)/,
    /\b([A-Z]+) hung\b/,
  ];
  for (const h of hits) {
    for (const re of patterns) {
      const t = re.exec(h.excerpt)?.[1];
      if (known(t)) return t;
    }
  }
  return null;
}

/** The root cause of a target string, by the catalogue's public rule (docs/incidents.md). */
function rootOf(kind: string, target: string): string {
  const [caller, callee] = target.split("->");
  if (callee === undefined) return caller as string;
  return kind === "network-policy-block" ? callee : (caller as string);
}

/**
 * Guess an episode's kind and root cause from labels: the kind named most often (in the episode,
 * in the values of its metadata keys, and in the lines of the command's output that name the
 * episode), and the service named next to a label. Without a label: a uniform guess over `kinds`
 * and the system's services.
 */
export function guess(
  ep: Episode,
  commandOutput: string,
  terms: readonly { term: string; re: RegExp }[],
  kinds: readonly string[],
  seed: string,
): Guess {
  const own = episodeHits(ep, terms);
  const lines = commandOutput.split("\n").filter((l) => l.includes(ep.name));
  const fromOutput = grep(lines.join("\n"), "<command output>", terms);
  const hits = [...own, ...fromOutput];
  const rng = seedrandom(`${seed}/${ep.name}`);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
  const votes = new Map<string, number>();
  const vote = (k: string | undefined): void => {
    if (k !== undefined && (FAULT_KINDS as readonly string[]).includes(k))
      votes.set(k, (votes.get(k) ?? 0) + 1);
  };
  for (const h of hits) {
    vote(h.term.toLowerCase());
    if (h.term.startsWith("key ")) for (const m of h.excerpt.matchAll(/"([a-z]+(?:-[a-z]+)*)"/g)) vote(m[1]);
  }
  const kind = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const target = targetNear(hits, ep.services);
  return {
    kind: kind ?? pick(kinds),
    rootCause: target === null ? pick(ep.services) : rootOf(kind ?? "", target),
    fromLabels: kind !== null || target !== null,
    hits,
  };
}

/** The least k with P(X >= k) <= alpha for X ~ Binomial(n, p): a score at or above it beats chance. */
export function chanceBound(n: number, p: number, alpha: number): number {
  const choose = (a: number, b: number): number => {
    let r = 1;
    for (let i = 1; i <= b; i++) r = (r * (a - b + i)) / i;
    return r;
  };
  let tail = 1;
  for (let k = 0; k <= n; k++) {
    if (tail <= alpha) return k;
    tail -= choose(n, k) * p ** k * (1 - p) ** (n - k);
  }
  return n + 1;
}
