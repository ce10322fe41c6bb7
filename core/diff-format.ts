/**
 * Renderings of a SystemDiff: `text` for a terminal, `markdown` for a pull-request comment
 * (bounded in size by summarising long lists), `json` for tools (the SystemDiff itself).
 */
import { isEmptyDiff, isEmptySummary, isRollout } from "./diff";
import type {
  Edge,
  FieldChange,
  ObjectChange,
  RolloutChange,
  ServiceChange,
  ServiceRef,
  SystemDiff,
} from "./diff";
import { chunkedSink } from "./text-sink";
import type { TextSink } from "./text-sink";

export const DIFF_FORMATS = ["text", "markdown", "json"] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

/** Markdown output stays under this many characters (GitHub comments allow 65,536). */
export const MARKDOWN_LIMIT = 60_000;

export function formatDiff(diff: SystemDiff, format: DiffFormat): string {
  const chunks: string[] = [];
  writeDiff(diff, format, (s) => chunks.push(s));
  return chunks.join("");
}

/** Text is handed to `write` in pieces of about this many characters. */
const CHUNK_CHARS = 2 ** 20;

/**
 * `formatDiff`, handed on as it is produced (text and JSON), so a diff of two large systems is
 * never one string: 10,000 services make 47 MB of text, and 100,000 services more JSON than a
 * JavaScript string can hold. A `write` function gets pieces of about 1 MiB; a `TextSink` gets
 * the small strings themselves (`slop` encodes them to stdout in large buffers, cli/output.ts,
 * which is cheaper than joining them into large strings first).
 */
export function writeDiff(
  diff: SystemDiff,
  format: DiffFormat,
  write: ((chunk: string) => void) | TextSink,
): void {
  if (!DIFF_FORMATS.includes(format)) throw new Error(`unknown diff format ${JSON.stringify(format)}`);
  const out = typeof write === "function" ? chunkedSink(write, CHUNK_CHARS) : write;
  if (format === "markdown") {
    out.add(formatMarkdown(diff));
    return out.flush();
  }
  const changed = diff.resources.changed;
  writeDiffBlocks(diff, { count: changed.length, blocks: blocksOf(changed, format) }, format, out);
}

/** The formats whose changed objects can be formatted one by one (`objectBlock`). */
export type BlockFormat = Exclude<DiffFormat, "markdown">;

/** A SystemDiff whose changed objects are given as blocks (`objectBlock`) instead. */
export type DiffWithoutChanges = Omit<SystemDiff, "resources"> & {
  readonly resources: Omit<SystemDiff["resources"], "changed">;
};

/** Changed objects, each formatted by `objectBlock`, in key order; `count` of them. */
export interface ChangedBlocks {
  readonly count: number;
  readonly blocks: Iterable<string>;
}

/**
 * One changed object as `writeDiff` writes it: in text its lines (`  ~ key`, with the reason of a
 * rollout, then one per other field); in JSON its item of `resources.changed`, indented for that
 * place. `slop diff` on two threads formats the objects of each part on that part's thread and
 * merges the blocks by key.
 */
export function objectBlock(o: ObjectChange, format: BlockFormat): string {
  if (format === "json") return JSON.stringify(o, null, 2).replaceAll("\n", `\n${CHANGED_ITEM_INDENT}`);
  const fields = o.fields;
  const rollout = rolloutOf(o);
  let text = `  ~ ${o.key}${rollout === null ? "" : rolloutNote(rollout, (s) => s)}\n`;
  for (let i = rollout === null ? 0 : 1; i < fields.length; i++)
    text += `      ${fieldLine(fields[i] as FieldChange, TEXT_VALUE_MAX)}\n`;
  return text;
}

/** The rollout of a changed object (a rollout is always the first field), or null. */
function rolloutOf(o: ObjectChange): RolloutChange | null {
  const first = o.fields[0];
  return first !== undefined && isRollout(first) ? first : null;
}

/** ` (rollout: ConfigMap svc-a changed)`, `name` formatting the ConfigMap's name. */
function rolloutNote(r: RolloutChange, name: (s: string) => string): string {
  // An objectKey ends in kind/namespace/name (a ConfigMap is namespaced).
  const [kind, , n] = r.rollout.split("/").slice(-3);
  return ` (rollout: ${kind ?? ""} ${name(n ?? r.rollout)} changed)`;
}

function* blocksOf(changed: readonly ObjectChange[], format: BlockFormat): Generator<string> {
  for (const o of changed) yield objectBlock(o, format);
}

/**
 * `writeDiff` of the diff whose changed objects are `changed` (`diff.summary` must count them):
 * text or JSON, the same bytes.
 */
export function writeDiffBlocks(
  diff: DiffWithoutChanges,
  changed: ChangedBlocks,
  format: BlockFormat,
  out: TextSink,
): void {
  if (format === "text") return writeText(diff, changed, out);
  // The diff's own key order, with the changed objects' blocks in place of `resources.changed`.
  const withBlocks: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(diff)) {
    withBlocks[k] = k === "resources" ? { ...diff.resources, changed: new Blocks(changed) } : v;
  }
  writeJson(withBlocks, "", 0, (s) => out.add(s));
  out.add("\n");
  out.flush();
}

/** Indentation of an item of `resources.changed` in the JSON form (depth 3). */
const CHANGED_ITEM_INDENT = "      ";

/** Already formatted JSON items of an array, written as they are (see `objectBlock`). */
class Blocks {
  constructor(readonly list: ChangedBlocks) {}
}

/** Levels of the SystemDiff written member by member; deeper values go to JSON.stringify whole. */
const JSON_STREAM_DEPTH = 3;

/** Exactly `JSON.stringify(v, null, 2)` for the JSON data of a SystemDiff, nested `indent` deep. */
function writeJson(v: unknown, indent: string, depth: number, add: (s: string) => void): void {
  if (v instanceof Blocks) {
    if (v.list.count === 0) return add("[]");
    add("[");
    let first = true;
    for (const block of v.list.blocks) {
      add(`${first ? "" : ","}\n${indent}  `);
      add(block);
      first = false;
    }
    return add(`\n${indent}]`);
  }
  if (depth >= JSON_STREAM_DEPTH || typeof v !== "object" || v === null) {
    // String contents escape their line breaks, so every line break is JSON's own.
    add((JSON.stringify(v, null, 2) ?? "null").replaceAll("\n", `\n${indent}`));
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return add("[]");
    add("[");
    v.forEach((item: unknown, i) => {
      add(`${i === 0 ? "" : ","}\n${inner}`);
      writeJson(item === undefined ? null : item, inner, depth + 1, add);
    });
    return add(`\n${indent}]`);
  }
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return add("{}");
  add("{");
  entries.forEach(([k, x], i) => {
    add(`${i === 0 ? "" : ","}\n${inner}${JSON.stringify(k)}: `);
    writeJson(x, inner, depth + 1, add);
  });
  add(`\n${indent}}`);
}

/** Strings that JSON writes as they are between quotes: no quote, backslash, control or surrogate code unit. */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** A value for display: JSON, shortened to `max` characters; "(absent)" for a missing one. */
export function showValue(v: unknown, max: number): string {
  const s =
    typeof v === "string"
      ? PLAIN_STRING.test(v)
        ? `"${v}"` // what JSON.stringify gives, without its escaping pass (most values of a diff)
        : JSON.stringify(v)
      : typeof v === "number" && Number.isFinite(v)
        ? String(v)
        : v === undefined
          ? "(absent)"
          : JSON.stringify(v);
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

const showRef = (s: ServiceRef): string => `${s.id} ${s.name} (${s.class})`;
const showEdge = (e: Edge): string => `${e.caller} -> ${e.callee}`;

function summaryLine(diff: DiffWithoutChanges): string {
  const s = diff.summary;
  return (
    `config ~${s.configChanges} | services +${s.servicesAdded} -${s.servicesRemoved} ~${s.servicesChanged}` +
    ` | edges +${s.edgesAdded} -${s.edgesRemoved}` +
    ` | objects +${s.objectsAdded} -${s.objectsRemoved} ~${s.objectsChanged}`
  );
}

// ---------------------------------------------------------------------------------------------
// text

const TEXT_VALUE_MAX = 200;

function fieldLine(f: FieldChange, max: number): string {
  return `${f.path}: ${showValue(f.from, max)} -> ${showValue(f.to, max)}`;
}

function serviceTextLines(c: ServiceChange, line: (s: string) => void): void {
  line(`  ~ ${c.id} ${c.name}`);
  if (c.class !== undefined) line(`      class: ${c.class.from} -> ${c.class.to}`);
  for (const p of c.pathsAdded) line(`      + path ${p}`);
  for (const p of c.pathsRemoved) line(`      - path ${p}`);
  for (const f of c.fields) line(`      ${fieldLine(f, TEXT_VALUE_MAX)}`);
}

export function formatText(diff: SystemDiff): string {
  return formatDiff(diff, "text");
}

function writeText(diff: DiffWithoutChanges, changed: ChangedBlocks, out: TextSink): void {
  if (isEmptySummary(diff.summary)) {
    out.add("No differences.\n");
    return out.flush();
  }
  const line = (s: string): void => out.add(`${s}\n`);
  line(`Summary: ${summaryLine(diff)}`);
  const section = (title: string, count: number, body: () => void): void => {
    if (count === 0) return;
    line("");
    line(title);
    body();
  };
  section("Config", diff.config.length, () => {
    for (const f of diff.config) line(`  ~ ${fieldLine(f, TEXT_VALUE_MAX)}`);
  });
  const services = diff.services;
  section("Services", services.added.length + services.removed.length + services.changed.length, () => {
    for (const s of services.added) line(`  + ${showRef(s)}`);
    for (const s of services.removed) line(`  - ${showRef(s)}`);
    for (const c of services.changed) serviceTextLines(c, line);
  });
  section("Call edges", diff.edges.added.length + diff.edges.removed.length, () => {
    for (const e of diff.edges.added) line(`  + ${showEdge(e)}`);
    for (const e of diff.edges.removed) line(`  - ${showEdge(e)}`);
  });
  const res = diff.resources;
  section("Kubernetes objects", res.added.length + res.removed.length + changed.count, () => {
    for (const k of res.added) line(`  + ${k}`);
    for (const k of res.removed) line(`  - ${k}`);
    for (const block of changed.blocks) out.add(block);
  });
  out.flush();
}

// ---------------------------------------------------------------------------------------------
// markdown

/** How much of each list the markdown shows; tightened until the comment fits. */
interface Budget {
  /** Items per section (services, edges, objects, config keys). */
  readonly items: number;
  /** Field lines per changed service or object. */
  readonly fields: number;
  /** Characters per displayed value or path string. */
  readonly value: number;
}

const BUDGETS: readonly Budget[] = [
  { items: 200, fields: 30, value: 120 },
  { items: 100, fields: 15, value: 80 },
  { items: 50, fields: 8, value: 60 },
  { items: 20, fields: 4, value: 40 },
  { items: 5, fields: 2, value: 40 },
  { items: 0, fields: 0, value: 40 },
];

/** Inline code that survives backticks in the content. */
export function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** The first `limit` lines, then "...and K more". */
function capped(lines: readonly string[], limit: number, indent = ""): string[] {
  if (lines.length <= limit) return [...lines];
  return [...lines.slice(0, limit), `${indent}- …and ${lines.length - limit} more`];
}

function short(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

function mdField(f: FieldChange, b: Budget): string {
  return `${code(f.path)}: ${code(showValue(f.from, b.value))} → ${code(showValue(f.to, b.value))}`;
}

function mdService(c: ServiceChange, b: Budget): string[] {
  const details = [
    ...(c.class !== undefined ? [`  - class: ${c.class.from} → ${c.class.to}`] : []),
    ...c.pathsAdded.map((p) => `  - path added: ${code(short(p, b.value))}`),
    ...c.pathsRemoved.map((p) => `  - path removed: ${code(short(p, b.value))}`),
    ...c.fields.map((f) => `  - ${mdField(f, b)}`),
  ];
  return [`- **${c.id}** ${code(c.name)}`, ...capped(details, b.fields, "  ")];
}

function details(title: string, count: number, body: readonly string[]): string[] {
  if (count === 0) return [];
  return ["", `<details><summary>${title}</summary>`, "", ...body, "", "</details>"];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function markdownWith(diff: SystemDiff, b: Budget): string {
  const s = diff.summary;
  const lines = [
    "### slop diff",
    "",
    "| | Added | Removed | Changed |",
    "|---|---:|---:|---:|",
    `| Config keys | | | ${s.configChanges} |`,
    `| Services | ${s.servicesAdded} | ${s.servicesRemoved} | ${s.servicesChanged} |`,
    `| Call edges | ${s.edgesAdded} | ${s.edgesRemoved} | |`,
    `| Kubernetes objects | ${s.objectsAdded} | ${s.objectsRemoved} | ${s.objectsChanged} |`,
  ];
  if (isEmptyDiff(diff)) return `${[...lines, "", "No differences."].join("\n")}\n`;
  lines.push(
    ...details(
      `Config: ${plural(s.configChanges, "change")}`,
      s.configChanges,
      capped(
        diff.config.map((f) => `- ${mdField(f, b)}`),
        b.items,
      ),
    ),
    ...details(
      `Services added: ${s.servicesAdded}`,
      s.servicesAdded,
      capped(
        diff.services.added.map((r) => `- ${code(showRef(r))}`),
        b.items,
      ),
    ),
    ...details(
      `Services removed: ${s.servicesRemoved}`,
      s.servicesRemoved,
      capped(
        diff.services.removed.map((r) => `- ${code(showRef(r))}`),
        b.items,
      ),
    ),
    ...details(`Services changed: ${s.servicesChanged}`, s.servicesChanged, [
      ...diff.services.changed.slice(0, b.items).flatMap((c) => mdService(c, b)),
      ...(s.servicesChanged > b.items ? [`- …and ${s.servicesChanged - b.items} more`] : []),
    ]),
    ...details(
      `Call edges: +${s.edgesAdded} −${s.edgesRemoved}`,
      s.edgesAdded + s.edgesRemoved,
      capped(
        [
          ...diff.edges.added.map((e) => `- added ${code(showEdge(e))}`),
          ...diff.edges.removed.map((e) => `- removed ${code(showEdge(e))}`),
        ],
        b.items,
      ),
    ),
    ...details(
      `Kubernetes objects: +${s.objectsAdded} −${s.objectsRemoved}`,
      s.objectsAdded + s.objectsRemoved,
      capped(
        [
          ...diff.resources.added.map((k) => `- added ${code(k)}`),
          ...diff.resources.removed.map((k) => `- removed ${code(k)}`),
        ],
        b.items,
      ),
    ),
    ...details(`Kubernetes objects changed: ${s.objectsChanged}`, s.objectsChanged, [
      ...diff.resources.changed.slice(0, b.items).flatMap((o) => {
        const rollout = rolloutOf(o);
        return [
          `- ${code(o.key)}${rollout === null ? "" : rolloutNote(rollout, code)}`,
          ...capped(
            o.fields.slice(rollout === null ? 0 : 1).map((f) => `  - ${mdField(f, b)}`),
            b.fields,
            "  ",
          ),
        ];
      }),
      ...(s.objectsChanged > b.items ? [`- …and ${s.objectsChanged - b.items} more`] : []),
    ]),
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Markdown for a PR comment: a summary table, then one collapsible section per category. Long
 * lists are cut ("…and K more") with the most generous budget that keeps the text under
 * `limit` characters.
 */
export function formatMarkdown(diff: SystemDiff, limit = MARKDOWN_LIMIT): string {
  for (const b of BUDGETS) {
    const md = markdownWith(diff, b);
    if (md.length <= limit) return md;
  }
  // Unreachable for sane limits: with zero items per section the text is a few hundred characters.
  throw new Error(`markdown diff does not fit in ${limit} characters even when fully summarised`);
}
