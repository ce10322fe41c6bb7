/** Run the CLI in-process and capture what it writes. */
import { main } from "../../cli/main";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function run(argv: readonly string[]): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const capture =
    (sink: string[]) =>
    (chunk: string | Uint8Array): boolean => {
      sink.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    };
  const o = jest.spyOn(process.stdout, "write").mockImplementation(capture(out));
  const e = jest.spyOn(process.stderr, "write").mockImplementation(capture(err));
  try {
    const code = await main(argv);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
