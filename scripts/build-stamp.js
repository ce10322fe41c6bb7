#!/usr/bin/env node
"use strict";
// The last step of `npm run build`: write dist/build-info.json, the hash of the sources dist/ was
// built from, so `slop experiment run` can refuse a stale dist/ (experiment/source-hash.ts).
const path = require("path");
const root = path.join(__dirname, "..");
const { writeBuildInfo } = require(path.join(root, "dist", "experiment", "source-hash.js"));
writeBuildInfo(root);
