import type { Expr, Path } from "./ast";

/** Canonical text of an expression: no spaces, postfix operators in AST order. */
export function printExpr(e: Expr): string {
  switch (e.type) {
    case "call":
      return e.service;
    case "local":
      return e.op;
    case "parallel":
      return `{${e.items.map(printExpr).join(",")}}`;
    case "chain":
      return `(${e.items.map(printExpr).join(",")})`;
    case "repeat":
      return `${printExpr(e.body)}*${e.count}`;
    case "maybe":
      return `${printExpr(e.body)}?${formatProb(e.p)}`;
    default: {
      const never: never = e;
      throw new Error(`unknown node ${JSON.stringify(never)}`);
    }
  }
}

/** Canonical text of a path: `print(parse(s)) === s` for every canonical s. */
export function print(p: Path): string {
  return p.items.map(printExpr).join(",");
}

/** 0.25 -> "0.25", 0.5 -> "0.5": at most three decimals, no trailing zeros. */
export function formatProb(p: number): string {
  const s = (Math.round(p * 1000) / 1000).toFixed(3).replace(/0+$/, "");
  return s.endsWith(".") ? s.slice(0, -1) : s;
}
