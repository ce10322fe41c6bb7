/**
 * Pulumi mocks for the component tests: every registered resource is recorded (type, name,
 * inputs, provider) and cloud outputs the components read are faked (DOKS kubeconfig, EKS
 * endpoint, docker-build ref, invokes). Call `installMocks()` BEFORE importing any component.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  readonly type: string;
  readonly name: string;
  /** `type::name`, unique within a program run (the URN without the parent chain). */
  readonly key: string;
  // Inputs are whatever the component sent over the wire: plain JSON after serialisation.
  readonly inputs: Record<string, unknown>;
  readonly provider: string | undefined;
  /**
   * The `key`s of the resources this one depends on (dependsOn, expanded to a component's
   * children, plus those of its inputs), as the SDK sends them to the engine.
   */
  readonly dependencies: readonly string[];
}

export interface Recorder {
  readonly resources: Recorded[];
  readonly calls: { token: string; inputs: Record<string, unknown> }[];
  reset(): void;
}

export const FAKE_DO_KUBECONFIG = "apiVersion: v1\nkind: Config\n# fake doks kubeconfig\n";
export const FAKE_DO_ENDPOINT = "https://fake.k8s.ondigitalocean.example";
export const FAKE_EKS_ENDPOINT = "https://fake.eks.example";
export const FAKE_DO_ACCOUNT_UUID = "00000000-0000-4000-8000-00000000d0c5";
/** What a self-managed backend calls every organisation. */
export const MOCK_ORGANIZATION = "organization";

function outputsFor(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "digitalocean:index/kubernetesCluster:KubernetesCluster":
      return {
        ...inputs,
        endpoint: FAKE_DO_ENDPOINT,
        kubeConfigs: [{ rawConfig: FAKE_DO_KUBECONFIG, clusterCaCertificate: "RE9DQQ==" }],
      };
    case "digitalocean:index/containerRegistry:ContainerRegistry":
      return {
        ...inputs,
        endpoint: `registry.digitalocean.com/${String(inputs.name)}`,
        serverUrl: "registry.digitalocean.com",
      };
    case "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials": {
      const auth = Buffer.from(`tok-${name}:tok-${name}`).toString("base64");
      return {
        ...inputs,
        dockerCredentials: JSON.stringify({ auths: { "registry.digitalocean.com": { auth } } }),
      };
    }
    case "aws:eks/cluster:Cluster":
      return {
        ...inputs,
        endpoint: FAKE_EKS_ENDPOINT,
        certificateAuthority: { data: "Q0E=" },
        arn: `arn:aws:eks:::${name}`,
      };
    case "aws:iam/role:Role":
      return { ...inputs, name, arn: `arn:aws:iam::123456789012:role/${name}` };
    case "aws:ecr/repository:Repository":
      return {
        ...inputs,
        registryId: "123456789012",
        repositoryUrl: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${String(inputs.name)}`,
      };
    case "docker-build:index:Image":
      return {
        ...inputs,
        ref: `${String((inputs.tags as string[] | undefined)?.[0])}@sha256:${"ab".repeat(32)}`,
      };
    case "tls:index/privateKey:PrivateKey":
      return { ...inputs, privateKeyPem: `KEY(${name})` };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { ...inputs, certPem: `CERT(${name})` };
    case "tls:index/certRequest:CertRequest":
      return { ...inputs, certRequestPem: `CSR(${name})` };
    case "kubernetes:yaml/v2:ConfigGroup":
      // The provider's ConfigGroup returns only `resources` (references to the child resources it
      // registers; mocks register none), not its inputs.
      return { resources: [] };
    default:
      return inputs;
  }
}

/** `type::name` of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function urnKey(urn: string): string {
  const parts = urn.split("::");
  const type = (parts[2] ?? "").split("$").pop() ?? "";
  return `${type}::${parts.slice(3).join("::")}`;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
}

/**
 * Records the dependencies of every registration: the mocks' `newResource` is not given them, so
 * the mock monitor's `registerResource` (internal to @pulumi/pulumi, pinned in package.json) is
 * wrapped, and checked so that an SDK without it fails here rather than recording nothing.
 */
function recordDependencies(into: Map<string, readonly string[]>): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor?: () => unknown };
  const monitor = settings.getMonitor?.() as
    { registerResource?: (req: RegisterRequest, cb: unknown) => unknown } | undefined;
  const register = monitor?.registerResource;
  if (monitor === undefined || typeof register !== "function")
    throw new Error("installMocks(): @pulumi/pulumi's mock monitor no longer has registerResource");
  monitor.registerResource = (req, cb) => {
    into.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList().map(urnKey));
    return register.call(monitor, req, cb);
  };
}

export function installMocks(preview = false): Recorder {
  const resources: Recorded[] = [];
  const calls: { token: string; inputs: Record<string, unknown> }[] = [];
  const dependencies = new Map<string, readonly string[]>();
  void pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        const key = `${args.type}::${args.name}`;
        resources.push({
          type: args.type,
          name: args.name,
          key,
          inputs,
          provider: args.provider,
          dependencies: dependencies.get(key) ?? [],
        });
        return { id: `${args.name}-id`, state: outputsFor(args.type, args.name, inputs) };
      },
      call(args) {
        const inputs = args.inputs as Record<string, unknown>;
        calls.push({ token: args.token, inputs });
        switch (args.token) {
          case "digitalocean:index/getKubernetesVersions:getKubernetesVersions":
            return { latestVersion: `${String(inputs.versionPrefix ?? "1.34.")}1-do.0`, validVersions: [] };
          case "digitalocean:index/getAccount:getAccount":
            return { uuid: FAKE_DO_ACCOUNT_UUID, email: "user@example.com", status: "active" };
          case "digitalocean:index/getContainerRegistry:getContainerRegistry":
            return {
              name: inputs.name,
              endpoint: `registry.digitalocean.com/${String(inputs.name)}`,
              serverUrl: "registry.digitalocean.com",
              subscriptionTierSlug: "basic",
            };
          case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: ["us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: [] };
          case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {
              proxyEndpoint: "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
              userName: "AWS",
              password: "tok",
            };
          default:
            return inputs;
        }
      },
    },
    "k8s-slop",
    "test",
    preview,
    MOCK_ORGANIZATION,
  );
  recordDependencies(dependencies);
  return {
    resources,
    calls,
    reset: () => {
      resources.length = 0;
      calls.length = 0;
    },
  };
}

/**
 * The Pulumi runtime's own count of outstanding work: `waitForRPCs()` resolves once every
 * registration, invoke and registerOutputs in flight has finished (what the runtime waits for
 * before a program exits), and `rpcDone` changes whenever new work starts. Both are internal to
 * @pulumi/pulumi (pinned in package.json), so they are looked up once and checked.
 */
interface RpcState {
  waitForRPCs(): Promise<void>;
  rpcDone(): unknown;
}

function rpcState(): RpcState {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const state = require("@pulumi/pulumi/runtime/state") as {
    getStore?: () => { settings?: { rpcDone?: unknown } };
  };
  const { waitForRPCs } = settings;
  const { getStore } = state;
  if (
    typeof waitForRPCs !== "function" ||
    typeof getStore !== "function" ||
    !("rpcDone" in (getStore().settings ?? {}))
  )
    throw new Error(
      "settle(): @pulumi/pulumi no longer has runtime/settings waitForRPCs and settings.rpcDone",
    );
  return { waitForRPCs, rpcDone: () => getStore().settings?.rpcDone };
}

/**
 * Wait until the program has finished registering: no RPC in flight, and none started by the
 * callbacks that ran when the last ones finished (a resource built inside an `apply`). A condition,
 * not a quiet period, so a slow machine cannot make it return early.
 */
export async function settle(): Promise<void> {
  const rpc = rpcState();
  for (;;) {
    await rpc.waitForRPCs();
    const done = rpc.rpcDone();
    // A macrotask turn: every promise callback queued by the finished RPCs has run.
    await new Promise((r) => setImmediate(r));
    if (rpc.rpcDone() === done) return;
  }
}

/** Resolve an Output's value (mocks run as `up`, so values are known). */
export function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

export const ofType = (rec: Recorder, type: string): Recorded[] =>
  rec.resources.filter((r) => r.type === type);

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a serialised input is a Pulumi secret. */
export function isSecretInput(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG] === SECRET_SIG;
}

/** A serialised input with every secret wrapper removed (recursively). */
export function plain(v: unknown): unknown {
  if (isSecretInput(v)) return plain((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}
