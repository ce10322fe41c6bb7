/** The agent a name stands for: random, heuristic, none (a control that does nothing), command:... */
import { UserError } from "../../core/errors";
import type { Agent } from "./agent";
import { commandAgent } from "./command";
import { heuristicAgent } from "./heuristic";
import { randomAgent } from "./random";

export function agentFor(name: string, seed: string): Agent {
  if (name === "random") return randomAgent(seed);
  if (name === "heuristic") return heuristicAgent();
  if (name === "none") return { run: async () => undefined };
  if (name.startsWith("command:") && name.length > "command:".length)
    return commandAgent(name.slice("command:".length));
  throw new UserError(
    `agent must be random, heuristic, none or command:<program> (got ${JSON.stringify(name)})`,
  );
}
