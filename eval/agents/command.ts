/**
 * The adapter for any MCP client, such as an LLM agent: `command:<program and arguments>` runs the
 * program (through /bin/sh) with the episode's tools served over MCP's Streamable HTTP transport
 * on 127.0.0.1, and the problem statement in its environment:
 *
 *   SLOP_MCP_URL        http://127.0.0.1:PORT/mcp   (point the client's MCP server entry here)
 *   SLOP_PROBLEM_FILE   the problem statement (Markdown); SLOP_PROBLEM holds the same text
 *   SLOP_BUDGET_STEPS, SLOP_BUDGET_SECONDS
 *
 * Its tool calls go through the episode's own MCP client, so they are budgeted and recorded like
 * the built-in agents'. The turn ends when the program exits or the budget is spent (it then gets
 * SIGTERM, and SIGKILL 5 s later). Report tokens and cost in `submit`'s `usage`.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { spawn } from "child_process";
import { randomUUID } from "crypto";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { createServer } from "http";
import type { AddressInfo } from "net";
import { tmpdir } from "os";
import { join } from "path";
import type { Agent, Problem } from "./agent";

export function commandAgent(command: string): Agent {
  return {
    async run(client: Client, p: Problem, signal: AbortSignal): Promise<void> {
      const proxy = new Server({ name: "slop-sre", version: "0.1.0" }, { capabilities: { tools: {} } });
      proxy.setRequestHandler(ListToolsRequestSchema, () => client.listTools());
      proxy.setRequestHandler(CallToolRequestSchema, (req) => client.callTool(req.params) as never);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
      await proxy.connect(transport);
      const http = createServer((req, res) => void transport.handleRequest(req, res));
      await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
      const dir = mkdtempSync(join(tmpdir(), "slop-agent-"));
      const file = join(dir, "problem.md");
      writeFileSync(file, p.statement);
      try {
        await new Promise<void>((resolve, reject) => {
          const child = spawn("/bin/sh", ["-c", command], {
            stdio: ["ignore", "inherit", "inherit"],
            env: {
              ...process.env,
              SLOP_MCP_URL: url,
              SLOP_PROBLEM_FILE: file,
              SLOP_PROBLEM: p.statement,
              SLOP_BUDGET_STEPS: String(p.steps),
              SLOP_BUDGET_SECONDS: String(p.seconds),
            },
          });
          const stop = (): void => {
            child.kill("SIGTERM");
            setTimeout(() => child.kill("SIGKILL"), 5000).unref();
          };
          signal.addEventListener("abort", stop, { once: true });
          child.once("error", reject);
          child.once("exit", (code, sig) => {
            signal.removeEventListener("abort", stop);
            if (code === 0 || signal.aborted) resolve();
            else reject(new Error(`agent command exited with ${sig ?? `code ${code}`}`));
          });
        });
      } finally {
        await proxy.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
