/** Progress lines for long runs, on stderr (the generator calls this at most once a second). */
import type { Progress } from "./generator";

export function progressLine(label: string, p: Progress): string {
  return (
    `${label} t=${(p.elapsedMs / 1000).toFixed(0)}s sent=${p.sent} send=${p.sendRate.toFixed(0)}/s done=${p.achievedRate.toFixed(0)}/s ` +
    `p99=${p.p99Ms.toFixed(1)}ms errors=${p.errors} dropped=${p.dropped} in-flight=${p.inFlight}\n`
  );
}

export function stderrProgress(label: string): (p: Progress) => void {
  return (p) => process.stderr.write(progressLine(label, p));
}
