/**
 * Kubernetes names. A name is a DNS label (RFC 1123): lower-case alphanumerics and '-', starting
 * and ending with an alphanumeric, at most 63 characters. `toDnsLabel` joins its parts with '-'
 * and, only when the result is not already a valid label (too long, or a character had to be
 * replaced), shortens it and appends a stable 8-hex hash of the original parts (cdk8s
 * `Names.toDnsLabel` style), so distinct inputs keep distinct names.
 */
import { createHash } from "crypto";

export const DNS_LABEL_MAX = 63;
const HASH_LEN = 8;
/** A DNS label, length bound included: the one pattern every validator of names uses. */
export const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function isDnsLabel(s: string): boolean {
  return DNS_LABEL_RE.test(s);
}

/** Throws unless `value` is a DNS label, naming the field: `services[B].name must be ...`. */
export function assertDnsLabel(field: string, value: string): void {
  if (!isDnsLabel(value)) {
    throw new Error(
      `${field} must be a DNS label (lower-case a-z, 0-9 and '-', alphanumeric at both ends, ` +
        `at most ${DNS_LABEL_MAX} characters) (got ${JSON.stringify(value)})`,
    );
  }
}

/** First 8 hex digits of sha256 over the parts joined with '/'. */
export function shortHash(parts: readonly string[]): string {
  return createHash("sha256").update(parts.join("/")).digest("hex").slice(0, HASH_LEN);
}

/**
 * `toDnsLabel("svc-a", "data")` -> `svc-a-data`; `toDnsLabel("Hello", "foo_bar")` ->
 * `hello-foo-bar-<hash>`; anything longer than 63 characters is cut to 54 and gets `-<hash>`.
 */
export function toDnsLabel(...parts: readonly string[]): string {
  if (parts.length === 0) throw new Error("toDnsLabel: at least one part is required (got none)");
  const joined = parts.join("-");
  if (isDnsLabel(joined)) return joined;
  const cleaned = joined
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  const prefix = cleaned.slice(0, DNS_LABEL_MAX - HASH_LEN - 1).replace(/-+$/, "");
  const hash = shortHash(parts);
  return prefix ? `${prefix}-${hash}` : hash;
}
