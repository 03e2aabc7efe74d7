# Shared helpers for Kafscope's scripts. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TANSU_VERSION="0.6.0"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The exact wasm-bindgen version the lock file pins: the CLI must match it.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_rust_targets() {
  if ! rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_bindgen() {
  local want; want="$(wasm_bindgen_version)"
  if command -v wasm-bindgen >/dev/null 2>&1 && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$want" ]; then
    return
  fi
  say "installing wasm-bindgen-cli $want (matches Cargo.lock)"
  # --locked first for reproducibility; its lock file can name a crate version the registry
  # no longer serves (seen: webpki-roots 1.0.11), then resolve afresh.
  cargo install wasm-bindgen-cli --version "$want" --locked ||
    cargo install wasm-bindgen-cli --version "$want"
}

ensure_tansu() {
  if command -v tansu >/dev/null 2>&1 && tansu --version 2>/dev/null | grep -q "$TANSU_VERSION"; then
    return
  fi
  say "installing tansu $TANSU_VERSION (the test broker; about 8 minutes on 2 cores)"
  cargo install tansu --locked --version "$TANSU_VERSION" --features dynostore,libsql
}

# kafka-python (pure Python, from PyPI) in a venv under target/: the tests' independent Kafka
# client, so what they check is not only librdkafka talking to librdkafka.
KAFKA_PYTHON_VERSION="3.0.12"
# fastavro writes the tests' Schema Registry records: an Avro implementation not our own.
FASTAVRO_VERSION="1.10.0"
ensure_python_client() {
  local venv="$TARGET_DIR/pyclient"
  if [ -x "$venv/bin/python" ] &&
    "$venv/bin/python" -c "import kafka, fastavro, sys; sys.exit(kafka.__version__ != '$KAFKA_PYTHON_VERSION' or fastavro.__version__ != '$FASTAVRO_VERSION')" 2>/dev/null; then
    return
  fi
  say "installing kafka-python $KAFKA_PYTHON_VERSION and fastavro $FASTAVRO_VERSION into $venv (the tests' independent clients)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "kafka-python==$KAFKA_PYTHON_VERSION" "fastavro==$FASTAVRO_VERSION"
}

# Debian packages: a C toolchain's friends for librdkafka, and Chromium for browser tests.
ensure_debs() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  fi
}

# Node.js and npm: whatever is on PATH, else Debian's.
ensure_node() {
  command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 || ensure_debs nodejs npm
}

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Wait until a TCP port accepts connections (at most $2 seconds). With $3 (the pid of the
# process that should open it) and $4 (its log), stop waiting as soon as that process has
# exited, and print the end of its log either way, so a failed start says why.
wait_port() {
  local port="$1" limit="${2:-30}" pid="${3:-}" log="${4:-}" i=0 why=""
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    i=$((i + 1))
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      why="port $port did not open: the process that should open it (pid $pid) has exited"
    elif [ "$i" -gt $((limit * 10)) ]; then
      why="port $port did not open within $limit s"
    fi
    if [ -n "$why" ]; then
      echo "$why" >&2
      if [ -n "$log" ] && [ -f "$log" ]; then
        echo "the end of $log:" >&2
        tail -n 30 "$log" >&2
      fi
      return 1
    fi
    sleep 0.1
  done
  # Something listens; it must be the process that should (not one that took its port).
  if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
    echo "port $port opened, but the process that should open it (pid $pid) has exited" >&2
    [ -n "$log" ] && [ -f "$log" ] && tail -n 30 "$log" >&2
    return 1
  fi
}

# Start a tansu broker on a free loopback port with its data (and log) in directory $1; sets
# TANSU_PORT and TANSU_PID (the caller stops it), and waits until it accepts connections.
start_tansu() {
  local dir="$1"
  TANSU_PORT="$(free_port)"
  (cd "$dir" && exec tansu broker --listener-url "tcp://127.0.0.1:$TANSU_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$TANSU_PORT" --storage-engine "sqlite://tansu.db" \
    >"$dir/tansu.log" 2>&1) &
  TANSU_PID=$!
  # A caller keeping an array of pids to stop gets it now, before a failed wait exits.
  if declare -p pids >/dev/null 2>&1; then pids+=("$TANSU_PID"); fi
  wait_port "$TANSU_PORT" 60 "$TANSU_PID" "$dir/tansu.log"
}

# A throwaway demo for scripts: tansu with the demo traffic and a console watching it
# (cluster "demo", 2 s polls, admin token $2), everything in directory $3, binaries from $1.
# Adds its processes to the caller's `pids` array, sets CONSOLE (its URL), and returns once
# the demo's groups have been read. KAFSCOPE_* variables the caller exports apply.
start_demo_stack() {
  local bin="$1" token="$2" work="$3" port
  start_tansu "$work"
  "$bin/kafscope-demo-traffic" --bootstrap-servers "127.0.0.1:$TANSU_PORT" >"$work/traffic.log" 2>&1 &
  pids+=($!)
  port="$(free_port)"
  KAFSCOPE_SERVER__ADMIN_TOKEN="$token" "$bin/kafscope" --bootstrap-servers "127.0.0.1:$TANSU_PORT" \
    --cluster-name demo --poll-interval 2s --listen "127.0.0.1:$port" \
    --store-url "sqlite://$work/kafscope.db" >"$work/kafscope.log" 2>&1 &
  pids+=($!)
  CONSOLE="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    curl -sf -H "Authorization: Bearer $token" \
      "$CONSOLE/api/v1/clusters/demo/consumer-groups/orders-processor" >/dev/null && return 0
    sleep 0.5
  done
  echo "the demo console did not read the demo's groups; its log ends:" >&2
  tail -20 "$work/kafscope.log" >&2
  return 1
}
