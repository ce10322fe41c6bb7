import {
  type Expr,
  type Path,
  LOCAL_OPS,
  MAX_NESTING,
  MAX_PATH_CHARS,
  MAX_REPEAT,
  MIN_REPEAT,
  isLocalOp,
} from "./ast";
import { ParseError, type Token, describe, tokenize } from "./lexer";

const ATOM_START = "a service id [A-Z]+, a local op (cpu|mem|disk|net|noop|io), '{' or '('";

/** Recursive-descent parser; one instance per call, no shared state. */
class Parser {
  private i = 0;
  /** Groups open around the current token. */
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly toks: readonly Token[],
  ) {}

  private peek(): Token {
    return this.toks[this.i];
  }
  private next(): Token {
    return this.toks[this.i++];
  }
  private fail(expected: string, tok: Token = this.peek()): never {
    throw new ParseError(this.src, tok.pos, expected, describe(tok));
  }

  parsePath(): Path {
    const items = this.parseList();
    if (this.peek().type !== "eof") this.fail("',' or end of input");
    return { type: "path", items };
  }

  private parseList(): Expr[] {
    const items = [this.parseExpr()];
    while (this.peek().type === ",") {
      this.next();
      items.push(this.parseExpr());
    }
    return items;
  }

  private parseExpr(): Expr {
    let e = this.parseAtom();
    for (let wraps = 0; ; wraps++) {
      const t = this.peek().type;
      if ((t === "*" || t === "?") && wraps >= MAX_NESTING)
        this.fail(`at most ${MAX_NESTING} postfix operators on one expression`);
      if (t === "*") {
        this.next();
        e = { type: "repeat", count: this.parseCount(), body: e };
      } else if (t === "?") {
        this.next();
        e = { type: "maybe", p: this.parseProb(), body: e };
      } else {
        return e;
      }
    }
  }

  private parseCount(): number {
    const tok = this.peek();
    const what = `a repeat count, an integer in ${MIN_REPEAT}..${MAX_REPEAT}`;
    if (tok.type !== "number" || !/^[1-9][0-9]*$/.test(tok.text)) this.fail(what);
    const n = Number(tok.text);
    if (n < MIN_REPEAT || n > MAX_REPEAT) this.fail(what);
    this.next();
    return n;
  }

  private parseProb(): number {
    const tok = this.peek();
    const what = "a probability 0.001..0.999 (at most three decimals, e.g. 0.25)";
    if (tok.type !== "number" || !/^0\.[0-9]{1,3}$/.test(tok.text)) this.fail(what);
    const p = Number(tok.text);
    if (!(p > 0 && p < 1)) this.fail(what);
    this.next();
    return p;
  }

  private parseAtom(): Expr {
    const tok = this.peek();
    switch (tok.type) {
      case "{":
      case "(": {
        if (this.depth >= MAX_NESTING) this.fail(`at most ${MAX_NESTING} nested groups`);
        this.next();
        this.depth++;
        const items = this.parseList();
        this.depth--;
        const close = tok.type === "{" ? "}" : ")";
        if (this.peek().type !== close) this.fail(`',' or '${close}'`);
        this.next();
        return tok.type === "{" ? { type: "parallel", items } : { type: "chain", items };
      }
      case "remote":
        this.next();
        return { type: "call", service: tok.text };
      case "local":
        if (!isLocalOp(tok.text)) this.fail(`a local op (${LOCAL_OPS.join("|")})`);
        this.next();
        return { type: "local", op: tok.text };
      default:
        return this.fail(ATOM_START);
    }
  }
}

/** Parse a path string. Throws ParseError naming the position and what was expected. */
export function parse(src: string): Path {
  if (src.length > MAX_PATH_CHARS) {
    throw new ParseError(
      src,
      0,
      `a path of at most ${MAX_PATH_CHARS} characters`,
      `${src.length} characters`,
    );
  }
  return new Parser(src, tokenize(src)).parsePath();
}
