import { createHash } from "crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { gzipSync } from "zlib";
import { decodeFrame, encodeFrame, filesUnder, FrameError } from "../../loadgen/frame";
import { run } from "../cli/run";
import { startTestServer } from "./server";

describe("results frames (a results directory through a container log)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "slop-frame-"));
    mkdirSync(join(dir, "runs", "001"), { recursive: true });
    writeFileSync(join(dir, "metadata.json"), '{"kind":"load"}\n');
    writeFileSync(
      join(dir, "runs", "001", "summary.json"),
      JSON.stringify({ ok: 1, text: "x".repeat(5000) }),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips every file, also with log lines around it and between its lines", () => {
    const frame = encodeFrame(dir);
    const lines = frame.split("\n");
    const log = [
      "[load] t=1s sent=5",
      ...lines.slice(0, 2),
      "a stray stderr line: not base64!",
      ...lines.slice(2),
      "bye",
    ].join("\n");
    const files = decodeFrame(log);
    expect(Object.keys(files).sort()).toEqual(filesUnder(dir));
    for (const f of filesUnder(dir)) expect(files[f]!.equals(readFileSync(join(dir, f)))).toBe(true);
  });

  it.each([
    ["no frame", (t: string) => t.replace(/-----BEGIN[^\n]*\n/, ""), /no results frame/],
    ["cut short", (t: string) => t.replace(/-----END SLOP RESULTS-----\n/, ""), /cut short/],
    [
      "a line lost",
      (t: string) =>
        t
          .split("\n")
          .filter((_, i) => i !== 2)
          .join("\n"),
      /holds \d+ bytes, its header says/,
    ],
    [
      "a byte changed",
      (t: string) => t.replace(/\n([A-Za-z0-9+/])/, (_, c: string) => `\n${c === "A" ? "B" : "A"}`),
      /sha256/,
    ],
  ])("refuses a frame with %s", (_what, mangle, message) => {
    const t = encodeFrame(dir);
    expect(() => decodeFrame(mangle(t))).toThrow(FrameError);
    expect(() => decodeFrame(mangle(t))).toThrow(message);
  });

  it("refuses a frame naming a path outside its directory", () => {
    // A frame built by hand around a hostile file list.
    const gz = gzipSync(Buffer.from(JSON.stringify({ files: { "../evil": "eA==" } })));
    const text = `-----BEGIN SLOP RESULTS v1 sha256=${createHash("sha256").update(gz).digest("hex")} bytes=${gz.length}-----\n${gz.toString("base64")}\n-----END SLOP RESULTS-----\n`;
    expect(() => decodeFrame(text)).toThrow(/outside its directory/);
  });

  it("slop load --print-results prints the run's results directory as a frame on stdout", async () => {
    const server = await startTestServer();
    try {
      const out = join(dir, "r");
      const r = await run([
        "load",
        "--target",
        server.address,
        "--rps",
        "200",
        "--requests",
        "20",
        "--warmup",
        "0",
        "--out",
        out,
        "--print-results",
      ]);
      expect(r.code).toBe(0);
      const files = decodeFrame(r.stdout);
      expect(Object.keys(files)).toEqual(
        expect.arrayContaining(["metadata.json", "runs/001/summary.json", "runs/001/histograms.json"]),
      );
      expect(JSON.parse(files["runs/001/summary.json"]!.toString("utf8"))).toMatchObject({ ok: 20 });
      expect((await run(["load", "--sweep", "x.yaml", "--print-results"])).stderr).toMatch(
        /--print-results cannot be combined with --sweep/,
      );
    } finally {
      await server.close();
    }
  });
});
