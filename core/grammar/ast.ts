/**
 * AST of the execution-path grammar.
 *
 *   path     ::= list
 *   list     ::= expr (',' expr)*
 *   expr     ::= atom postfix*
 *   postfix  ::= '*' COUNT            repeat: run the expression COUNT times in order (2..99)
 *              | '?' PROB             maybe: run the expression with probability PROB (0 < PROB < 1)
 *   atom     ::= '{' list '}'         parallel group: run the items concurrently
 *              | '(' list ')'         chain group: run the items in order
 *              | REMOTE               [A-Z]+: call that service
 *              | LOCAL                cpu | mem | disk | net | noop | io
 *
 * The seed's grammar (no postfix operators) is a subset. Nodes are readonly and tagged by `type`.
 */

/** Longest path text the parser reads (a generated path is a few hundred characters). */
export const MAX_PATH_CHARS = 65_536;
/**
 * Deepest nesting the parser accepts: groups inside groups, and postfix operators on one
 * expression (each wraps it once more). The generator nests at most 6 groups; the bound keeps
 * every recursive walk of a path (parser, printer, interpreter) far from the stack's limit.
 */
export const MAX_NESTING = 64;

export const LOCAL_OPS = ["cpu", "mem", "disk", "net", "noop", "io"] as const;
export type LocalOp = (typeof LOCAL_OPS)[number];

export function isLocalOp(s: string): s is LocalOp {
  return (LOCAL_OPS as readonly string[]).includes(s);
}

export interface Call {
  readonly type: "call";
  readonly service: string;
}
export interface Local {
  readonly type: "local";
  readonly op: LocalOp;
}
export interface Parallel {
  readonly type: "parallel";
  readonly items: readonly Expr[];
}
export interface Chain {
  readonly type: "chain";
  readonly items: readonly Expr[];
}
export interface Repeat {
  readonly type: "repeat";
  readonly count: number;
  readonly body: Expr;
}
export interface Maybe {
  readonly type: "maybe";
  /** Probability in (0, 1), at most three decimals. */
  readonly p: number;
  readonly body: Expr;
}
export type Expr = Call | Local | Parallel | Chain | Repeat | Maybe;

/** A whole path: a top-level comma list, run in order. */
export interface Path {
  readonly type: "path";
  readonly items: readonly Expr[];
}

export const MIN_REPEAT = 2;
export const MAX_REPEAT = 99;

export const call = (service: string): Call => ({ type: "call", service });
export const local = (op: LocalOp): Local => ({ type: "local", op });
export const parallel = (items: readonly Expr[]): Parallel => ({ type: "parallel", items });
export const chain = (items: readonly Expr[]): Chain => ({ type: "chain", items });
export const repeat = (count: number, body: Expr): Repeat => ({ type: "repeat", count, body });
export const maybe = (p: number, body: Expr): Maybe => ({ type: "maybe", p, body });
export const path = (items: readonly Expr[]): Path => ({ type: "path", items });

/** Visit every leaf (call or local op) of a path or expression, in pre-order. */
export function forEachLeaf(node: Path | Expr, visit: (leaf: Call | Local) => void): void {
  switch (node.type) {
    case "call":
    case "local":
      visit(node);
      return;
    case "path":
    case "parallel":
    case "chain":
      for (const item of node.items) forEachLeaf(item, visit);
      return;
    case "repeat":
    case "maybe":
      forEachLeaf(node.body, visit);
      return;
    default: {
      const never: never = node;
      throw new Error(`unknown node ${JSON.stringify(never)}`);
    }
  }
}

/** Every service id a path (or expression) may call, sorted and unique. */
export function callees(node: Path | Expr): string[] {
  const out = new Set<string>();
  forEachLeaf(node, (leaf) => {
    if (leaf.type === "call") out.add(leaf.service);
  });
  return [...out].sort();
}

/** Every local op a path uses, sorted and unique. */
export function localOps(node: Path | Expr): LocalOp[] {
  const out = new Set<LocalOp>();
  forEachLeaf(node, (leaf) => {
    if (leaf.type === "local") out.add(leaf.op);
  });
  return [...out].sort();
}

/** Number of leaf operations (calls and local ops) in the expression, not counting repeats. */
export function opCount(node: Path | Expr): number {
  switch (node.type) {
    case "call":
    case "local":
      return 1;
    case "path":
    case "parallel":
    case "chain":
      return node.items.reduce((n, e) => n + opCount(e), 0);
    case "repeat":
    case "maybe":
      return opCount(node.body);
    default: {
      const never: never = node;
      throw new Error(`unknown node ${JSON.stringify(never)}`);
    }
  }
}
