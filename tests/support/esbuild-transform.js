"use strict";
// Jest transformer: TypeScript -> CommonJS with esbuild (type-checking is `npm run lint`'s job).
// esbuild ships its native binary for every platform through the npm registry, so `npm ci` works
// everywhere; a ts-jest/swc-free transform also keeps the suite's start-up short.
const { createHash } = require("crypto");
const { readFileSync } = require("fs");
const { transformSync } = require("esbuild");

const SELF = readFileSync(__filename, "utf8") + require("esbuild/package.json").version;

module.exports = {
  process(source, filename) {
    const out = transformSync(source, {
      loader: "ts",
      format: "cjs",
      target: "es2022",
      sourcemap: "inline",
      sourcefile: filename,
      // Jest runs CommonJS in a vm context: turn `await import(x)` into a require, as ts-jest and swc do.
      supported: { "dynamic-import": false },
    });
    return { code: out.code };
  },
  getCacheKey(source, filename) {
    // The key covers this transformer's own text, so changing the options invalidates the cache.
    return createHash("sha256").update(SELF).update(filename).update("\0").update(source).digest("hex");
  },
};
