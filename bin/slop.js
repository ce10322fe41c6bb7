#!/usr/bin/env node
"use strict";
// Entry of the `slop` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
const path = require("path");
const fs = require("fs");
const main = path.join(__dirname, "..", "dist", "cli", "main.js");
if (!fs.existsSync(main)) {
  process.stderr.write(
    "slop: the CLI is not built yet; run `npm run build` (npm ci does this via `prepare`).\n",
  );
  process.exit(2);
}
require(main)
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`slop: ${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 2;
    },
  );
