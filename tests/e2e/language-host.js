#!/usr/bin/env node
/**
 * A minimal Pulumi Node.js language host, for the real-engine tests only.
 *
 * Why: the Pulumi CLI runs a `runtime: nodejs` program through a separate plugin binary,
 * `pulumi-language-nodejs`. Its Go module (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs)
 * is not served by the module proxy this machine can reach, so scripts/dev-tools cannot build it. This file
 * stands in for it: tests/e2e/harness.ts puts it on PATH under that name.
 *
 * What it does (the engine's side of the protocol is the one in the pinned CLI, pulumi/sdk/v3
 * go/common/resource/plugin/langruntime_plugin.go): the engine starts it as
 *   pulumi-language-nodejs [-<runtime option>=<value>...] -root=<project dir> <engine address>
 * and reads the port of its gRPC LanguageRuntime server from the first line of stdout. It serves
 *   GetPluginInfo        the @pulumi/pulumi version of the program;
 *   GetRequiredPackages  the kubernetes provider only (see below);
 *   Run                  `node <program>/node_modules/@pulumi/pulumi/cmd/run --monitor ... <entry point>`,
 *                        with the config in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS, as the SDK expects.
 * Every other method answers UNIMPLEMENTED, which the engine tolerates for these.
 *
 * Differences from the real host, on purpose: it reports only `kubernetes` as a required plugin (the real one
 * reports every @pulumi/* package in node_modules; the engine would then try to download aws, digitalocean, ...
 * which this offline machine cannot, and the kubeconfig cluster never uses them). With `typescript: true` it
 * runs the program through tsx (the repo's TypeScript runner) instead of the SDK's vendored ts-node 7, which
 * predates the TypeScript version here.
 */
"use strict";
const { spawn } = require("child_process");
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");

const flags = {};
const positional = [];
for (const a of process.argv.slice(2)) {
  const m = /^--?([^=]+)=(.*)$/.exec(a);
  if (m) flags[m[1]] = m[2];
  else positional.push(a);
}
const engineAddress = positional[positional.length - 1] ?? "";
const root = flags.root ?? process.cwd();

/** Modules resolve from the program (its own @pulumi/pulumi and grpc), like the real host. */
function fromProgram(id) {
  return require(require.resolve(id, { paths: [root, __dirname] }));
}
const grpc = fromProgram("@grpc/grpc-js");
const langProto = fromProgram("@pulumi/pulumi/proto/language_pb.js");
const langGrpc = fromProgram("@pulumi/pulumi/proto/language_grpc_pb.js");
const pluginProto = fromProgram("@pulumi/pulumi/proto/plugin_pb.js");
const sdkVersion = fromProgram("@pulumi/pulumi/package.json").version;

/** Version of an npm package as the program sees it (from its directory, else the project root). */
function packageVersion(name, programDir) {
  const file = require.resolve(`${name}/package.json`, { paths: [programDir || root, root, __dirname] });
  return JSON.parse(fs.readFileSync(file, "utf8")).version;
}

function kubernetesDependency(req, Dep) {
  const info = req.getInfo ? req.getInfo() : undefined;
  const dep = new Dep();
  dep.setName("kubernetes");
  dep.setKind("resource");
  dep.setVersion(`v${packageVersion("@pulumi/kubernetes", info ? info.getProgramDirectory() : "")}`);
  return dep;
}

/** A gRPC handler that turns a thrown error into an error status instead of crashing the host. */
const guard = (fn) => (call, cb) => {
  try {
    fn(call, cb);
  } catch (err) {
    cb(err);
  }
};

const service = {
  getPluginInfo(_call, cb) {
    const info = new pluginProto.PluginInfo();
    info.setVersion(sdkVersion);
    cb(null, info);
  },
  getRequiredPackages: guard((call, cb) => {
    const res = new langProto.GetRequiredPackagesResponse();
    res.setPackagesList([kubernetesDependency(call.request, pluginProto.PackageDependency)]);
    cb(null, res);
  }),
  getRequiredPlugins: guard((call, cb) => {
    const res = new langProto.GetRequiredPluginsResponse();
    res.setPluginsList([kubernetesDependency(call.request, pluginProto.PluginDependency)]);
    cb(null, res);
  }),
  run: guard((call, cb) => {
    const req = call.request;
    const info = req.getInfo();
    const programDir = (info && info.getProgramDirectory()) || req.getPwd() || root;
    const entry = (info && info.getEntryPoint()) || req.getProgram() || ".";
    const options = info && info.getOptions() ? info.getOptions().toJavaScript() : {};
    const typescript = options.typescript ?? flags.typescript ?? true;
    const runPath = path.join(
      path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [programDir] })),
      "cmd",
      "run",
    );
    const args = [];
    if (String(typescript) === "true") {
      args.push("--import", pathToFileURL(require.resolve("tsx", { paths: [programDir] })).href);
    }
    args.push(runPath, "--monitor", req.getMonitorAddress());
    if (engineAddress) args.push("--engine", engineAddress);
    const add = (k, v) => {
      if (v !== undefined && v !== null && v !== "") args.push(`--${k}`, String(v));
    };
    add("organization", req.getOrganization());
    add("project", req.getProject());
    add("stack", req.getStack());
    add("pwd", req.getPwd());
    add("root-directory", info ? info.getRootDirectory() : "");
    if (req.getDryrun()) args.push("--dry-run");
    add("parallel", req.getParallel());
    args.push(entry, ...req.getArgsList());

    const config = {};
    for (const [k, v] of req.getConfigMap().entries()) config[k] = v;
    const env = {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
      PULUMI_NODEJS_TYPESCRIPT: "false",
    };
    const child = spawn(process.execPath, args, {
      cwd: programDir,
      env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", (err) => cb(err));
    child.on("exit", (code, signal) => {
      const res = new langProto.RunResponse();
      // 32: the SDK already logged a user-actionable error; the engine should not add a stack trace.
      if (code === 32) res.setBail(true);
      else if (code !== 0) res.setError(`Program exited with non-zero exit code: ${code ?? signal}`);
      cb(null, res);
    });
  }),
};

const server = new grpc.Server();
server.addService(langGrpc.LanguageRuntimeService, service);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    console.error(`language host: cannot listen: ${err.message}`);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});
// The engine kills the plugin when it is done with it.
