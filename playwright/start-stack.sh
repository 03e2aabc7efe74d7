#!/usr/bin/env bash
# Start tansu on a free port, seed it with a real Kafka client, then run kafscope in the
# foreground on the port given. A second console, on the next port, requires signing in
# through a real OpenID Connect provider (oidc/provider.mjs), started here too. A third, on
# the port after that, watches the scripted KRaft cluster (server/examples/scripted_kraft.rs):
# a metadata quorum tansu cannot show, with a Schema Registry (server/examples/
# registry_replay.rs); and a cluster that cannot be reached. Everything stops when Playwright stops this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../scripts/lib.sh"
port="$1"
bin="${KAFSCOPE_BIN:-$TARGET_DIR/debug/kafscope}"
traffic="${KAFSCOPE_TRAFFIC_BIN:-$TARGET_DIR/debug/kafscope-demo-traffic}"
kraft="${KAFSCOPE_KRAFT_BIN:-$TARGET_DIR/debug/examples/scripted_kraft}"
registry="${KAFSCOPE_REGISTRY_BIN:-$TARGET_DIR/debug/examples/registry_replay}"
work="$(mktemp -d)"
kport="$(free_port)"
tansu_pid=""
metrics_pid=""
oidc_pid=""
signin_pid=""
kraft_pid=""
kraft_console_pid=""
registry_pid=""
cleanup() {
  for p in "$registry_pid" "$kraft_console_pid" "$kraft_pid" "$signin_pid" "$oidc_pid" "$tansu_pid" "$metrics_pid"; do
    [ -n "$p" ] && { kill "$p" 2>/dev/null || true; }
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

(cd "$work" && exec tansu broker --listener-url "tcp://127.0.0.1:$kport" \
  --advertised-listener-url "tcp://127.0.0.1:$kport" --storage-engine "sqlite://tansu.db" \
  >"$work/tansu.log" 2>&1) &
tansu_pid=$!
wait_port "$kport" 60 "$tansu_pid" "$work/tansu.log"
# A real HTTP metrics endpoint for broker 111, serving the synthetic Strimzi-style scrape
# (UnderReplicatedPartitions = 2, UnderMinIsrPartitionCount = 1) from the Rust tests' fixtures.
mport="$(free_port)"
mkdir -p "$work/metrics-root"
cp "$here/../server/tests/fixtures/prometheus/strimzi_style_SYNTHETIC.prom" "$work/metrics-root/metrics"
python3 -m http.server "$mport" --bind 127.0.0.1 --directory "$work/metrics-root" >"$work/metrics.log" 2>&1 &
metrics_pid=$!
wait_port "$mport" 30 "$metrics_pid" "$work/metrics.log"
"$traffic" --mode seed --bootstrap-servers "127.0.0.1:$kport"
echo "$kport" > "$here/.broker-port"

# The OpenID Connect provider and the console that signs in through it.
# A port free a moment ago can be taken before the provider binds it (another process's
# outgoing connection gets it as its local port): then it exits, and a fresh port is tried.
sport=$((port + 1))
for attempt in 1 2 3; do
  oport="$(free_port)"
  OIDC_REDIRECT_URIS="http://127.0.0.1:$sport/auth/oidc/callback" \
  OIDC_POST_LOGOUT_URIS="http://127.0.0.1:$sport/" \
    node "$here/oidc/provider.mjs" "$oport" >"$work/oidc.log" 2>&1 &
  oidc_pid=$!
  wait_port "$oport" 20 "$oidc_pid" "$work/oidc.log" && break
  kill "$oidc_pid" 2>/dev/null || true
  oidc_pid=""
  [ "$attempt" -lt 3 ] || { echo "the OpenID Connect provider did not start" >&2; exit 1; }
done
cat > "$work/signin.toml" <<EOF
[server]
listen = "127.0.0.1:$sport"
[store]
url = "sqlite://$work/signin.db"
[[clusters]]
name = "e2e"
bootstrap_servers = "127.0.0.1:$kport"
poll_interval = "1s"
[auth.oidc]
issuer = "http://127.0.0.1:$oport"
client_id = "kafscope-e2e"
client_secret = "e2e-client-secret"
scopes = ["openid", "profile", "email", "groups"]
roles_claim = "groups"
label = "Sign in with the test provider"
[[auth.bindings]]
role = "admin"
groups = ["kafka-admins"]
[[auth.bindings]]
role = "viewer"
groups = ["kafka-viewers"]
[[auth.bindings]]
role = "reader"
groups = ["kafka-readers"]
[[auth.bindings]]
role = "operator"
groups = ["payments-team"]
clusters = ["e2e"]
topics = '^payments\\.'
EOF
"$bin" --config "$work/signin.toml" >"$work/signin.log" 2>&1 &
signin_pid=$!
wait_port "$sport" 60 "$signin_pid" "$work/signin.log"
# The scripted KRaft cluster and its console.
"$kraft" >"$work/kraft.out" 2>"$work/kraft.log" &
kraft_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/kraft.out" ] && break
  sleep 0.1
done
kport2="$(head -n1 "$work/kraft.out")"
# Its Schema Registry: a real registry's recorded answers (KAFSCOPE_TEST_REGISTRY=<a fresh
# Karapace> records them again: scripts/record-registry.sh).
"$registry" karapace-ui >"$work/registry.out" 2>"$work/registry.log" &
registry_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/registry.out" ] && break
  sleep 0.1
done
registry_url="$(head -n1 "$work/registry.out")"
if [ -z "$registry_url" ]; then
  echo "the replayed Schema Registry did not start:" >&2
  cat "$work/registry.log" >&2
  exit 1
fi
# Beside it, a cluster whose bootstrap name resolves nowhere: the connection check's verdict.
cat > "$work/kraft.toml" <<EOF
[server]
listen = "127.0.0.1:$((port + 2))"
[store]
url = "sqlite://$work/kraft.db"
[[clusters]]
name = "kraft"
bootstrap_servers = "$kport2"
poll_interval = "1s"
[clusters.schema_registry]
url = "$registry_url"
[[clusters]]
name = "nowhere"
bootstrap_servers = "kafscope-nowhere.invalid:9092"
poll_interval = "2s"
EOF
"$bin" --config "$work/kraft.toml" >"$work/kraft-console.log" 2>&1 &
kraft_console_pid=$!
wait_port "$((port + 2))" 60 "$kraft_console_pid" "$work/kraft-console.log"
# Open (loopback, no sign-in configured): every visitor may act. The token is for scripts.
# Portals on http://portal.test (served by the embedding spec itself) may frame it.
KAFSCOPE_SERVER__ADMIN_TOKEN=e2e-admin-token KAFSCOPE_SERVER__FRAME_ANCESTORS=http://portal.test \
"$bin" --bootstrap-servers "127.0.0.1:$kport" --cluster-name e2e --poll-interval 1s --status-window 5s \
  --listen "127.0.0.1:$port" --store-url "sqlite://$work/kafscope.db" \
  --metrics-url "http://127.0.0.1:$mport/metrics" &
kafscope_pid=$!
# e2e-readers was seeded at 19 on partition 1: it moves to 20 once the console watches, so
# it is a group that was active and then stopped (not one abandoned before it was seen).
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
"$traffic" --mode commit --bootstrap-servers "127.0.0.1:$kport" \
  --group e2e-readers --topic e2e-orders --partition 1 --offset 20
wait "$kafscope_pid"
