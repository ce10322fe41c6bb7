/**
 * Certificates for the test control planes, made with the openssl CLI (Node can parse X.509 but not
 * issue it). EC P-256 keys: about 20x faster to generate than RSA 2048, and every Kubernetes
 * component accepts them (service-account tokens then sign with ES256).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

function openssl(dir: string, args: readonly string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"] as const;

/** A self-signed CA `<name>.crt` / `<name>.key` in `dir`, valid for `days`. */
export function makeCa(dir: string, name: string, commonName: string, days = 30): void {
  openssl(dir, [
    "req",
    "-x509",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    String(days),
    "-subj",
    `/CN=${commonName}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
}

export interface LeafCert {
  /** Files `<name>.crt` and `<name>.key`. */
  readonly name: string;
  readonly commonName: string;
  /** Groups (Kubernetes reads O= as the user's groups). */
  readonly organizations?: readonly string[];
  /** Subject alternative names, e.g. ["IP:127.0.0.1", "DNS:localhost"]; a serving certificate. */
  readonly sans?: readonly string[];
  /** @default "clientAuth" (or "serverAuth" when sans are given) */
  readonly usage?: "clientAuth" | "serverAuth" | "serverAuth,clientAuth";
}

/** A key and a certificate signed by the CA `<ca>.crt` / `<ca>.key` in the same directory. */
export function makeLeaf(dir: string, ca: string, leaf: LeafCert, days = 30): void {
  const subject = [...(leaf.organizations ?? []).map((o) => `/O=${o}`), `/CN=${leaf.commonName}`].join("");
  const sans = leaf.sans ?? [];
  const usage = leaf.usage ?? (sans.length > 0 ? "serverAuth" : "clientAuth");
  openssl(dir, [
    "req",
    "-x509",
    ...EC,
    "-keyout",
    `${leaf.name}.key`,
    "-out",
    `${leaf.name}.crt`,
    "-days",
    String(days),
    "-subj",
    subject,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-addext",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "-addext",
    `extendedKeyUsage=${usage}`,
    ...(sans.length > 0 ? ["-addext", `subjectAltName=${sans.join(",")}`] : []),
  ]);
}

/** `sa.key` (private, PKCS#8) and `sa.pub` for signing and checking service-account tokens. */
export function makeServiceAccountKeys(dir: string): void {
  openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "sa.key"]);
  openssl(dir, ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

export interface KubeconfigUser {
  readonly server: string;
  /** CA file name (without .crt) in `dir`. */
  readonly ca: string;
  /** Client certificate name (without .crt/.key) in `dir`. */
  readonly user: string;
  /** Context and cluster name. @default "k8s-slop" */
  readonly context?: string;
}

/** A kubeconfig with the certificates embedded, so the file works from anywhere. */
export function kubeconfig(dir: string, k: KubeconfigUser): string {
  const b64 = (f: string) => fs.readFileSync(path.join(dir, f)).toString("base64");
  const name = k.context ?? "k8s-slop";
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${name}`,
    "  cluster:",
    `    server: ${k.server}`,
    `    certificate-authority-data: ${b64(`${k.ca}.crt`)}`,
    "users:",
    `- name: ${k.user}`,
    "  user:",
    `    client-certificate-data: ${b64(`${k.user}.crt`)}`,
    `    client-key-data: ${b64(`${k.user}.key`)}`,
    "contexts:",
    `- name: ${name}`,
    "  context:",
    `    cluster: ${name}`,
    `    user: ${k.user}`,
    `current-context: ${name}`,
    "",
  ].join("\n");
}
