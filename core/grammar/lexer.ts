/** Tokens of the path grammar. Whitespace between tokens is skipped. */
import { showValue } from "../errors";
export type TokenType = "{" | "}" | "(" | ")" | "," | "*" | "?" | "remote" | "local" | "number" | "eof";

export interface Token {
  readonly type: TokenType;
  readonly text: string;
  /** 0-based offset of the token's first character in the source. */
  readonly pos: number;
}

export class ParseError extends Error {
  constructor(
    readonly source: string,
    readonly position: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`at position ${position}: expected ${expected} but found ${found} in ${showValue(source)}`);
    this.name = "ParseError";
  }
}

const PUNCT = new Set(["{", "}", "(", ")", ",", "*", "?"]);

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function describe(tok: Token): string {
  return tok.type === "eof" ? "end of input" : `'${tok.text}'`;
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    const c = src.charCodeAt(i);
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
    } else if (PUNCT.has(ch)) {
      out.push({ type: ch as TokenType, text: ch, pos: i });
      i++;
    } else if (isUpper(c)) {
      const start = i;
      while (i < src.length && isUpper(src.charCodeAt(i))) i++;
      out.push({ type: "remote", text: src.slice(start, i), pos: start });
    } else if (isLower(c)) {
      const start = i;
      while (i < src.length && isLower(src.charCodeAt(i))) i++;
      out.push({ type: "local", text: src.slice(start, i), pos: start });
    } else if (isDigit(c)) {
      const start = i;
      while (i < src.length && (isDigit(src.charCodeAt(i)) || src[i] === ".")) i++;
      out.push({ type: "number", text: src.slice(start, i), pos: start });
    } else {
      throw new ParseError(src, i, "an operation, '{', '(' or ','", `'${ch}'`);
    }
  }
  out.push({ type: "eof", text: "", pos: src.length });
  return out;
}
