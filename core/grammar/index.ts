export * from "./ast";
export { ParseError, tokenize } from "./lexer";
export { parse } from "./parser";
export { print, printExpr, formatProb } from "./printer";
