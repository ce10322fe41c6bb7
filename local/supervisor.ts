/**
 * A kubelet-like restart policy for the local runner: a service that dies is started again after
 * a back-off that doubles with every consecutive failure (CrashLoopBackOff), capped, and reset
 * once the service has run long enough. Restart counts and events are recorded.
 */

export interface BackoffOptions {
  /** First delay. Kubernetes uses 10 s; locally shorter. @default 1000 */
  readonly initialMs?: number;
  /** Cap. Kubernetes uses 300 s. @default 30000 */
  readonly maxMs?: number;
  /** A service that ran this long starts over at initialMs. Kubernetes uses 10 min. @default 10000 */
  readonly resetAfterMs?: number;
}

export interface SupervisorEvent {
  /** Epoch ms. */
  readonly t: number;
  readonly id: string;
  readonly event: "died" | "start-failed" | "restarting" | "started";
  readonly detail: string;
}

interface State {
  restarts: number;
  consecutive: number;
  startedAt: number;
  timer: NodeJS.Timeout | null;
  /** Crashes by `faults.crash` since the faults last changed. */
  crashes: number;
}

/** The delay before restart number `consecutive` (1-based). */
export function backoffMs(consecutive: number, o: BackoffOptions = {}): number {
  const initial = o.initialMs ?? 1000;
  const max = o.maxMs ?? 30_000;
  return Math.min(max, initial * 2 ** Math.max(0, consecutive - 1));
}

export class Supervisor {
  private readonly states = new Map<string, State>();
  private readonly log: SupervisorEvent[] = [];
  private stopped = false;
  /** Services stopped on purpose (scaled to zero, or stopping for a restart): no restart. */
  private readonly held = new Set<string>();

  constructor(
    /** Start the service again; resolves when it runs, rejects when it fails to start. */
    private readonly start: (id: string, priorCrashes: number) => void,
    private readonly opts: BackoffOptions = {},
  ) {}

  private state(id: string): State {
    let s = this.states.get(id);
    if (s === undefined) {
      s = { restarts: 0, consecutive: 0, startedAt: Date.now(), timer: null, crashes: 0 };
      this.states.set(id, s);
    }
    return s;
  }

  private event(id: string, event: SupervisorEvent["event"], detail: string): void {
    this.log.push({ t: Date.now(), id, event, detail });
  }

  started(id: string): void {
    const s = this.state(id);
    s.startedAt = Date.now();
    this.event(id, "started", `restarts ${s.restarts}`);
  }

  /** The service died (`injected`: by `faults.crash`) or failed to start: schedule its restart. */
  died(id: string, reason: string, how: "died" | "start-failed", injected: boolean): void {
    if (this.stopped || this.held.has(id)) return;
    const s = this.state(id);
    if (s.timer !== null) return;
    if (injected) s.crashes++;
    if (how === "died" && Date.now() - s.startedAt >= (this.opts.resetAfterMs ?? 10_000)) s.consecutive = 0;
    s.consecutive++;
    const delay = backoffMs(s.consecutive, this.opts);
    this.event(id, how, reason);
    this.event(id, "restarting", `in ${delay} ms (back-off ${s.consecutive})`);
    s.timer = setTimeout(() => {
      s.timer = null;
      if (this.stopped) return;
      s.restarts++;
      this.start(id, s.crashes);
    }, delay);
  }

  /**
   * New faults: on a cluster a changed service.json rolls a new pod, which starts at once with no
   * back-off. So the count of injected crashes and the back-off start over, and a service waiting
   * out its back-off is started now (with the new faults).
   */
  faultsChanged(id: string): void {
    const s = this.state(id);
    s.crashes = 0;
    s.consecutive = 0;
    if (s.timer === null || this.stopped) return;
    clearTimeout(s.timer);
    s.timer = null;
    s.restarts++;
    this.event(id, "restarting", "now (new faults: a new pod)");
    this.start(id, s.crashes);
  }

  /** The service is being stopped on purpose: cancel a pending restart and ignore its deaths. */
  hold(id: string): void {
    this.held.add(id);
    const s = this.state(id);
    if (s.timer !== null) clearTimeout(s.timer);
    s.timer = null;
  }

  /** Started again on purpose (a scale-up, the second half of a restart): a new pod, no back-off. */
  release(id: string, why: string): void {
    this.held.delete(id);
    const s = this.state(id);
    s.consecutive = 0;
    s.crashes = 0;
    s.restarts++;
    this.event(id, "restarting", `now (${why})`);
  }

  restarts(): Record<string, number> {
    return Object.fromEntries([...this.states].map(([id, s]) => [id, s.restarts]));
  }

  events(): readonly SupervisorEvent[] {
    return this.log;
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.states.values()) if (s.timer !== null) clearTimeout(s.timer);
  }
}
