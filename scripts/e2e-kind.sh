#!/usr/bin/env bash
# End-to-end test of the dev stack on a real cluster, for anyone with Docker (also .github/workflows/e2e-kind.yml):
#   kind cluster -> build the runtime image and load it into kind -> `pulumi up` (local state backend)
#   -> every pod Ready -> the load Job drives the gateway at >= 99% success (Prometheus)
#   -> a trace reached Jaeger, metrics reached Prometheus -> `pulumi destroy` -> nothing left
#   (no namespace, no Helm release, no prometheus-operator CRD) -> delete the cluster.
#
#   scripts/e2e-kind.sh            run it (about 15 minutes; needs ~8 GB of RAM for Docker)
#   scripts/e2e-kind.sh --dry-run  check the prerequisites and print the plan; touch nothing
#   scripts/e2e-kind.sh --keep     leave the cluster (and the stack) up for a look afterwards
#
# Exit codes: 0 passed (dry run: all prerequisites found), 1 a check failed, 2 bad usage,
# 3 a prerequisite is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER="${SLOP_E2E_CLUSTER:-slop-e2e}"
STACK="${SLOP_E2E_STACK:-e2e}"
IMAGE="${SLOP_E2E_IMAGE:-k8s-slop/slop:e2e}"
NS="slop-dev"
OBS="observability"
LOAD_SECONDS="${SLOP_E2E_LOAD_SECONDS:-120}"
PREREQS=(docker kind kubectl pulumi node npm curl)

DRY_RUN=0
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    --keep) KEEP=1 ;;
    -h | --help)
      sed -n '2,14p' "$0"
      exit 0
      ;;
    *)
      echo "e2e-kind: unknown argument \"$arg\" (allowed: --dry-run, --keep, --help)" >&2
      exit 2
      ;;
  esac
done

plan() {
  cat <<PLAN
plan (cluster ${CLUSTER}, stack ${STACK}, image ${IMAGE}):
  1. kind create cluster --name ${CLUSTER} --wait 120s
  2. docker build -t ${IMAGE} . && kind load docker-image ${IMAGE} --name ${CLUSTER}
  3. pulumi login file://\$STATE_DIR; pulumi stack init ${STACK} (dev stack's config, plus:
     image=${IMAGE}, kubeContext=kind-${CLUSTER}, loadDurationSeconds=${LOAD_SECONDS}, the observability
     charts and metrics-server on, prometheusImage unset); kind's node labelled slop.dev/pool=data, so
     the dev stack's databases (pinned to pool data) schedule on the one node
  4. pulumi up --yes --skip-preview
  5. kubectl wait: every pod Ready in ${NS} and ${OBS}; the load Job complete
  6. Prometheus: gateway success ratio over the load >= 0.99; grpc_server_handled_total present
  7. Jaeger: /api/services lists the gateway (a trace arrived through the collector)
  8. pulumi destroy --yes; then: no namespace ${NS} / ${OBS}, no Helm release, no monitoring.coreos.com CRD
  9. kind delete cluster --name ${CLUSTER} (unless --keep)
PLAN
}

missing=()
for tool in "${PREREQS[@]}"; do
  if command -v "$tool" >/dev/null 2>&1; then
    echo "found   $tool"
  else
    echo "missing $tool"
    missing+=("$tool")
  fi
done
if command -v docker >/dev/null 2>&1 && [ "$DRY_RUN" = 0 ] && ! docker info >/dev/null 2>&1; then
  echo "missing a running Docker daemon (docker info failed)"
  missing+=("docker-daemon")
fi
plan
if [ "${#missing[@]}" -gt 0 ]; then
  echo "e2e-kind: missing prerequisites: ${missing[*]} (see README: End-to-end test on kind)" >&2
  exit 3
fi
if [ "$DRY_RUN" = 1 ]; then
  echo "dry run: all prerequisites found; nothing was created"
  exit 0
fi

STATE_DIR="$(mktemp -d)"
export PULUMI_BACKEND_URL="file://${STATE_DIR}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-slop-e2e}"
PF_PIDS=()
cleanup() {
  for pid in "${PF_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$KEEP" = 0 ]; then
    pulumi destroy --yes --stack "$STACK" >/dev/null 2>&1 || true
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
    rm -rf "$STATE_DIR" "Pulumi.${STACK}.yaml"
  else
    echo "kept: cluster ${CLUSTER}, state ${STATE_DIR}"
  fi
}
trap cleanup EXIT
fail() {
  echo "e2e-kind: FAILED: $*" >&2
  exit 1
}
step() { echo "== $*"; }

step "1. kind cluster"
kind create cluster --name "$CLUSTER" --wait 120s
step "2. image"
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"
step "3. stack"
npm ci --no-audit --no-fund
# The dev stack's config first: `stack init` then adds its encryption salt to the same file.
cp Pulumi.dev.yaml "Pulumi.${STACK}.yaml"
pulumi stack init "$STACK"
pulumi config set --stack "$STACK" image "$IMAGE"
pulumi config set --stack "$STACK" kubeContext "kind-${CLUSTER}"
pulumi config set --stack "$STACK" loadDurationSeconds "$LOAD_SECONDS"
# The dev stack is shaped for the local cluster of docs/cluster.md; kind can pull the charts.
for part in prometheus grafana tracing logs metricsServer; do pulumi config set --stack "$STACK" "$part" true; done
pulumi config rm --stack "$STACK" prometheusImage
pulumi config rm --stack "$STACK" otelCollectorImage
kubectl --context "kind-${CLUSTER}" label node --all slop.dev/pool=data --overwrite
step "4. pulumi up"
pulumi up --yes --skip-preview --stack "$STACK"
step "5. pods Ready, load Job complete"
kubectl --context "kind-${CLUSTER}" -n "$NS" wait --for=condition=Ready pod -l app.kubernetes.io/part-of=k8s-slop,slop.dev/service-id --timeout=300s ||
  fail "pods in ${NS} not Ready"
kubectl --context "kind-${CLUSTER}" -n "$OBS" wait --for=condition=Ready pod --all --timeout=300s ||
  fail "pods in ${OBS} not Ready"
kubectl --context "kind-${CLUSTER}" -n "$NS" wait --for=condition=complete job/slop-loadgen --timeout="$((LOAD_SECONDS + 300))s" ||
  fail "the load Job did not complete"
step "6. Prometheus"
kubectl --context "kind-${CLUSTER}" -n "$OBS" port-forward svc/kps-prometheus 19090:9090 >/dev/null &
PF_PIDS+=($!)
kubectl --context "kind-${CLUSTER}" -n "$OBS" port-forward svc/jaeger 16686:16686 >/dev/null &
PF_PIDS+=($!)
sleep 5
query() { curl -fsS --get "http://127.0.0.1:19090/api/v1/query" --data-urlencode "query=$1"; }
window="$((LOAD_SECONDS + 120))s"
ratio="$(query "sum(increase(grpc_server_handled_total{namespace=\"${NS}\",grpc_code=\"OK\"}[${window}])) / sum(increase(grpc_server_handled_total{namespace=\"${NS}\"}[${window}]))" |
  node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")).data.result; console.log(r.length ? r[0].value[1] : "none")')"
echo "success ratio: ${ratio}"
node -e 'process.exit(Number(process.argv[1]) >= 0.99 ? 0 : 1)' "$ratio" || fail "success ratio ${ratio} < 0.99"
step "7. Jaeger"
curl -fsS "http://127.0.0.1:16686/api/services" | grep -q '"svc-' || fail "no generated service in Jaeger's /api/services"
step "8. destroy, nothing left"
for pid in "${PF_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
PF_PIDS=()
pulumi destroy --yes --skip-preview --stack "$STACK"
for ns in "$NS" "$OBS"; do
  if kubectl --context "kind-${CLUSTER}" get namespace "$ns" >/dev/null 2>&1; then
    kubectl --context "kind-${CLUSTER}" wait --for=delete "namespace/$ns" --timeout=180s || fail "namespace $ns left"
  fi
done
left="$(kubectl --context "kind-${CLUSTER}" get crd -o name | grep -c monitoring.coreos.com || true)"
[ "$left" = 0 ] || fail "${left} monitoring.coreos.com CRDs left after destroy"
left="$(kubectl --context "kind-${CLUSTER}" get secrets -A -l owner=helm -o name | wc -l)"
[ "$left" = 0 ] || fail "${left} Helm release secrets left after destroy"
echo "e2e-kind: PASSED"
