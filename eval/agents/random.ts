/**
 * The random agent: looks around a little, then answers and acts at random (a seeded stream), so
 * its scores are chance: what the benchmark must clearly separate from a real diagnosis.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { stream } from "../../core/rng";
import { callTool, type Agent, type Problem } from "./agent";

export function randomAgent(seed: string): Agent {
  return {
    async run(client: Client, p: Problem): Promise<void> {
      const rng = stream(seed, "agent/random", "choices");
      const look = ["get_pods", "search_traces", "search_logs"];
      for (let i = 0; i < 2; i++) await callTool(client, rng.pick(look), {});
      const shuffled = rng.shuffle(p.services);
      const detected = rng.chance(0.5);
      await callTool(client, "submit", {
        detected,
        ...(detected ? { localization: shuffled.slice(0, 3), kind: rng.pick(p.kinds) } : {}),
      });
      if (detected) {
        const target = rng.pick(p.services);
        await callTool(client, rng.chance(0.5) ? "rollback" : "restart", { service: target });
      }
    },
  };
}
