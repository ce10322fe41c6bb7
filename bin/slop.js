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
// A reader that stops early (`slop render | head`) closes the pipe. Like other Unix tools, stop
// writing quietly instead of dying with a stack trace; the command still exits with its own code.
let readerGone = false;
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE" || (readerGone && err.code === "ERR_STREAM_DESTROYED")) {
    readerGone = true;
    return;
  }
  throw err;
});
// Ctrl-C (or SIGTERM) before a command has its own handler (cli/signals.ts), e.g. while the CLI
// is still loading: exit 130 (cli/errors.ts EXIT_INTERRUPTED) quietly, as a handled one does.
for (const name of ["SIGINT", "SIGTERM"]) {
  process.on(name, () => {
    if (process.listenerCount(name) > 1) return; // the command's handler stops it cleanly
    process.stderr.write(`slop: interrupted by ${name}\n`);
    process.exit(130);
  });
}
require(main)
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      // A crash: never 2, which means bad input (cli/errors.ts EXIT_CRASH).
      process.stderr.write(
        `slop: internal error (please report it): ${err && err.stack ? err.stack : err}\n`,
      );
      process.exitCode = 70;
    },
  );
