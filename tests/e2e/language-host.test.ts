/**
 * The stand-in Node language host (tests/e2e/language-host.js) speaks the engine's LanguageRuntime
 * protocol: port on stdout, plugin info, the required kubernetes plugin, and Run starting a
 * TypeScript program through @pulumi/pulumi/cmd/run with the stack config where the SDK reads it.
 * Needs no Pulumi CLI: the test plays the engine.
 */
import { spawn } from "child_process";
import type { ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { REPO } from "./tools";

/* eslint-disable @typescript-eslint/no-require-imports */
const langGrpc = require("@pulumi/pulumi/proto/language_grpc_pb.js");
const langProto = require("@pulumi/pulumi/proto/language_pb.js");
const structProto = require("google-protobuf/google/protobuf/struct_pb.js");
const emptyProto = require("google-protobuf/google/protobuf/empty_pb.js");
const resGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb.js");
const resProto = require("@pulumi/pulumi/proto/resource_pb.js");
/* eslint-enable @typescript-eslint/no-require-imports */

jest.setTimeout(120_000);

let host: ChildProcess;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let client: any;
let tmp: string;
let monitor: grpc.Server;
let monitorPort: number;
const registered: string[] = [];

/** The engine's resource monitor, as little of it as a program without resources needs. */
async function startMonitor(): Promise<void> {
  monitor = new grpc.Server();
  monitor.addService(resGrpc.ResourceMonitorService, {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    supportsFeature(_call: any, cb: any) {
      const res = new resProto.SupportsFeatureResponse();
      res.setHassupport(false);
      cb(null, res);
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    registerResource(call: any, cb: any) {
      registered.push(`${call.request.getType()}::${call.request.getName()}`);
      const res = new resProto.RegisterResourceResponse();
      res.setUrn(`urn:pulumi:e2e::k8s-slop::${call.request.getType()}::${call.request.getName()}`);
      res.setObject(new structProto.Struct());
      cb(null, res);
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    registerResourceOutputs(_call: any, cb: any) {
      cb(null, new emptyProto.Empty());
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    signalAndWaitForShutdown(_call: any, cb: any) {
      cb(null, new emptyProto.Empty());
    },
  });
  monitorPort = await new Promise<number>((resolve, reject) =>
    monitor.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

beforeAll(async () => {
  await startMonitor();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-slop-langhost-"));
  host = spawn(
    process.execPath,
    [path.join(__dirname, "language-host.js"), "-typescript=true", `-root=${tmp}`],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    host.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      const line = out.split("\n");
      if (line.length > 1) resolve(Number(line[0]));
    });
    host.on("exit", (code) => reject(new Error(`language host exited ${String(code)}`)));
  });
  client = new langGrpc.LanguageRuntimeClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  monitor?.forceShutdown();
  client?.close();
  host?.kill();
  if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
});

const call = <T>(method: string, req: unknown): Promise<T> =>
  new Promise((resolve, reject) =>
    client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
  );

it("reports the SDK's version and only the kubernetes plugin, at the version of @pulumi/kubernetes", async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require("@pulumi/pulumi/package.json").version as string;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const k8s = require("@pulumi/kubernetes/package.json").version as string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const info = await call<any>("getPluginInfo", new emptyProto.Empty());
  expect(info.getVersion()).toBe(sdk);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const pkgs = await call<any>("getRequiredPackages", new langProto.GetRequiredPackagesRequest());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  expect(pkgs.getPackagesList().map((p: any) => [p.getName(), p.getKind(), p.getVersion()])).toEqual([
    ["kubernetes", "resource", `v${k8s}`],
  ]);
});

it("Run starts a TypeScript program through @pulumi/pulumi/cmd/run with the stack config", async () => {
  const program = path.join(tmp, "program");
  fs.mkdirSync(program);
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(program, "node_modules"));
  const out = path.join(tmp, "out.json");
  fs.writeFileSync(
    path.join(program, "main.ts"),
    [
      'import * as pulumi from "@pulumi/pulumi";',
      'import { writeFileSync } from "fs";',
      'const seed: string = new pulumi.Config("k8s-slop").require("seed");',
      `writeFileSync(${JSON.stringify(out)}, JSON.stringify({ seed, project: pulumi.getProject(), stack: pulumi.getStack(), dryRun: pulumi.runtime.isDryRun() }));`,
      "",
    ].join("\n"),
  );
  const info = new langProto.ProgramInfo();
  info.setRootDirectory(program);
  info.setProgramDirectory(program);
  info.setEntryPoint("main.ts");
  info.setOptions(structProto.Struct.fromJavaScript({ typescript: true }));
  const req = new langProto.RunRequest();
  req.setInfo(info);
  req.setPwd(program);
  req.setProgram("main.ts");
  req.setProject("k8s-slop");
  req.setStack("e2e");
  req.setDryrun(true);
  req.setParallel(4);
  req.setMonitorAddress(`127.0.0.1:${monitorPort}`);
  req.getConfigMap().set("k8s-slop:seed", "43");
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const res = await call<any>("run", req);
  expect(res.getError()).toBe("");
  expect(registered).toEqual(["pulumi:pulumi:Stack::k8s-slop-e2e"]);
  expect(JSON.parse(fs.readFileSync(out, "utf8"))).toEqual({
    seed: "43",
    project: "k8s-slop",
    stack: "e2e",
    dryRun: true,
  });
});
