import { showValue } from "../core/errors";
import { ParseError, callees, parse, type Path } from "../core/grammar";
import type { ServiceRuntimeConfig } from "../core/types";

/**
 * A start-up problem: a bad configuration (`slop serve` exits 2) or the start-up fault
 * (`faults.failStartup`: `injected`, exits 1).
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly injected = false,
  ) {
    super(message);
    this.name = "StartupError";
  }
}

/**
 * Parse every path of the service once. Fails on the first path that does not parse (naming the
 * service, the path's index and text, and the position) or that calls a service with no address.
 */
export function parsePaths(cfg: ServiceRuntimeConfig): Path[] {
  if (cfg.paths.length === 0)
    throw new StartupError(`service ${cfg.id}: paths must list at least one path (got [])`);
  return cfg.paths.map((src, i) => {
    let p: Path;
    try {
      p = parse(src);
    } catch (err) {
      if (err instanceof ParseError) {
        throw new StartupError(
          `service ${cfg.id}: paths[${i}] ${showValue(src)} does not parse at position ${err.position}: expected ${err.expected} but found ${err.found}`,
        );
      }
      throw err;
    }
    const missing = callees(p).filter((id) => !Object.prototype.hasOwnProperty.call(cfg.callees, id));
    if (missing.length > 0) {
      throw new StartupError(
        `service ${cfg.id}: paths[${i}] ${showValue(src)} calls ${missing.join(", ")} but callees has no address for ${missing.length === 1 ? "it" : "them"} (known: ${Object.keys(cfg.callees).sort().join(", ") || "none"})`,
      );
    }
    return p;
  });
}
