/** Pure builders used by the components: pools, kubeconfig, subnets, registry auth, dashboard, mesh. */
import { DEFAULT_CONFIG } from "../../core/config";
import { generate } from "../../core/spec";
import { dashboardQueries, systemDashboard } from "../../components/dashboard";
import { doVersionPrefix } from "../../components/cluster-digitalocean";
import { eksKubeconfig, subnetCidrs } from "../../components/kubeconfig";
import { meshIntegration } from "../../components/mesh";
import { awsInstanceType, awsPoolSpec, awsTaintEffect, doPoolSpec } from "../../components/pools";
import { dockerConfigJson, imageTag, loginFromDockerConfig } from "../../components/registry-auth";
import { loadGeneratorJob } from "../../components/loadgen-job";
import { logicalName } from "../../components/system";

const data = DEFAULT_CONFIG.nodePools.find((p) => p.name === "data")!;

it.each([
  ["NoSchedule", "NO_SCHEDULE"],
  ["NoExecute", "NO_EXECUTE"],
  ["PreferNoSchedule", "PREFER_NO_SCHEDULE"],
] as const)("aws taint effect %s -> %s", (k8s, aws) => expect(awsTaintEffect(k8s)).toBe(aws));

it("maps a pool to DO and AWS with its labels and taints", () => {
  expect(doPoolSpec(data, "slop")).toEqual({
    name: "slop-data",
    size: "s-2vcpu-4gb",
    nodeCount: 2,
    labels: { "slop.dev/pool": "data" },
    taints: [{ key: "slop.dev/pool", value: "data", effect: "NoSchedule" }],
    tags: ["k8s-slop", "pool-data"],
  });
  expect(awsPoolSpec(data)).toEqual({
    name: "data",
    instanceTypes: ["t3.medium"],
    scaling: { desiredSize: 2, minSize: 2, maxSize: 4 },
    labels: { "slop.dev/pool": "data" },
    taints: [{ key: "slop.dev/pool", value: "data", effect: "NO_SCHEDULE" }],
  });
});

it.each([
  ["s-1vcpu-1gb", "t3.micro"],
  ["s-2vcpu-8gb", "t3.large"],
  ["s-4vcpu-8gb", "t3.xlarge"],
  ["m5.large", "m5.large"],
])("instance type for %s is %s", (size, type) => expect(awsInstanceType(size)).toBe(type));

it.each([
  [undefined, undefined],
  ["1.33", "1.33."],
  ["1.33.1", "1.33.1"],
])("DOKS version prefix %s -> %s", (a, b) => expect(doVersionPrefix(a)).toBe(b));

it.each([
  ["10.0.0.0/16", 2, ["10.0.0.0/20", "10.0.16.0/20"]],
  ["192.168.0.0/20", 3, ["192.168.0.0/24", "192.168.1.0/24", "192.168.2.0/24"]],
  ["10.1.2.3/16", 1, ["10.1.0.0/20"]],
] as const)("subnets of %s", (cidr, n, out) => expect(subnetCidrs(cidr, n)).toEqual(out));

it("builds an exec kubeconfig for EKS", () => {
  const kc = JSON.parse(
    eksKubeconfig({ clusterName: "c", endpoint: "https://e", caData: "Q0E=", region: "eu-west-1" }),
  );
  expect(kc["current-context"]).toBe("c");
  expect(kc.clusters[0].cluster).toEqual({ server: "https://e", "certificate-authority-data": "Q0E=" });
  expect(kc.users[0].user.exec.args).toEqual([
    "eks",
    "get-token",
    "--cluster-name",
    "c",
    "--region",
    "eu-west-1",
  ]);
});

it("round-trips registry logins through a docker config", () => {
  const login = { address: "registry.example", username: "u", password: "p:w" };
  expect(loginFromDockerConfig(dockerConfigJson(login), "registry.example")).toEqual(login);
  const authOnly = JSON.stringify({ auths: { r: { auth: Buffer.from("a:b").toString("base64") } } });
  expect(loginFromDockerConfig(authOnly, "r")).toEqual({ address: "r", username: "a", password: "b" });
  expect(() => loginFromDockerConfig(authOnly, "other")).toThrow(/no credentials for other/);
});

it.each([
  ["ghcr.io/k8s-slop/slop:0.1.0", "0.1.0"],
  ["localhost:5000/slop", undefined],
  ["r/x:1@sha256:abc", "1"],
])("imageTag(%s)", (ref, tag) => expect(imageTag(ref)).toBe(tag));

it("meshes give injection labels or annotations, the control-plane namespace and the extra call ports", () => {
  expect(meshIntegration("none")).toEqual({
    namespaceLabels: {},
    namespaceAnnotations: {},
    egressNamespaces: [],
    callPorts: [],
    jobPodAnnotations: {},
  });
  expect(meshIntegration("istio")).toEqual({
    namespaceLabels: { "istio-injection": "enabled" },
    namespaceAnnotations: {},
    egressNamespaces: ["istio-system"],
    callPorts: [],
    // ENABLE_NATIVE_SIDECARS=auto keeps the proxy a plain container unless every kubelet is 1.33+.
    jobPodAnnotations: { "sidecar.istio.io/nativeSidecar": "true" },
  });
  expect(meshIntegration("linkerd")).toEqual({
    namespaceLabels: {},
    // The proxy gets requests (the chart sets none), so HPAs can compute CPU utilisation.
    namespaceAnnotations: {
      "linkerd.io/inject": "enabled",
      "config.linkerd.io/proxy-cpu-request": "100m",
      "config.linkerd.io/proxy-memory-request": "20Mi",
    },
    egressNamespaces: ["linkerd"],
    callPorts: [4143],
    jobPodAnnotations: { "config.beta.linkerd.io/proxy-enable-native-sidecar": "true" },
  });
});

it("dashboard: rate, errors, latency per service and HPA replicas, scoped to the namespace", () => {
  const spec = generate({ ...DEFAULT_CONFIG, services: 5 });
  const d = systemDashboard(spec) as {
    panels: { title: string; targets: { expr: string }[] }[];
    uid: string;
  };
  expect(d.panels.map((p) => p.title)).toEqual([
    "Requests per second by service",
    "Error ratio by service",
    "p99 latency by service",
    "HPA replicas",
  ]);
  const q = dashboardQueries(spec);
  for (const expr of Object.values(q)) expect(expr).toContain('namespace="slop"');
  expect(q.errors).toContain('grpc_code!="OK"');
  expect(q.latency).toContain("grpc_server_handling_seconds_bucket");
});

it("load-generator Job targets the gateway with the requested rate", () => {
  const job = loadGeneratorJob({
    namespace: "ns",
    image: "i:1",
    target: "svc-a.ns:50051",
    rps: 7,
    durationSeconds: 60,
    imagePullSecrets: ["p"],
  });
  const c = job.spec?.template.spec?.containers[0];
  expect(c?.command).toEqual(["node", "bin/slop.js"]);
  expect(c?.args).toEqual([
    "load",
    "--target",
    "svc-a.ns:50051",
    "--rps",
    "7",
    "--duration",
    "60",
    "--out",
    "/tmp/slop-load/run",
  ]);
  expect(c?.volumeMounts).toEqual([{ name: "results", mountPath: "/tmp/slop-load" }]);
  expect(c?.securityContext?.readOnlyRootFilesystem).toBe(true);
  expect(job.spec?.template.spec?.imagePullSecrets).toEqual([{ name: "p" }]);
  expect(job.spec?.template.spec?.restartPolicy).toBe("Never");
});

it("logical names use the service id and kind, or the object name for shared objects", () => {
  const labels = { "slop.dev/service-id": "AB" };
  expect(
    logicalName("system", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "svc-ab", namespace: "n", labels },
    }),
  ).toBe("system-AB-configmap");
  expect(
    logicalName("system", { apiVersion: "v1", kind: "Namespace", metadata: { name: "slop", labels: {} } }),
  ).toBe("system-namespace-slop");
});
