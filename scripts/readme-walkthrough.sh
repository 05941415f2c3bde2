#!/usr/bin/env bash
# Runs the README's walk-through ("Try it" and the gRPC call) exactly as
# written, against a server started from the README's own command, and
# checks the results. The commands come from README.md itself, so the
# README cannot drift from what works.
#
# The server and the commands use a temporary database and a free port, so
# the developer's ./paket.db and port 8080 stay untouched. Those are the
# only substitutions.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PAKET_LISTEN="127.0.0.1:$port"
export PAKET_DATABASE_URL="sqlite://$work/paket.db"

# The walk-through: every sh block from "## Try it" up to "## Configuration".
awk '/^## Try it/{on=1} /^## Configuration/{on=0} on && /^```sh$/{block=1; next} block && /^```$/{block=0; next} block{print}' README.md \
  | sed "s#127.0.0.1:8080#127.0.0.1:$port#g" > "$work/walkthrough.sh"
if ! grep -q 'v1/licenses' "$work/walkthrough.sh"; then
  echo "readme-walkthrough: no walk-through commands found in README.md" >&2
  exit 1
fi

echo "== building and starting the server as the README does"
# Build first, so that the wait below measures the start, not the compile.
cargo build --release --bin paket
cargo build --release -p paket-grpc --example list_licenses
cargo run -q --release --bin paket -- serve > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
  if curl -sf "http://127.0.0.1:$port/healthz" > /dev/null; then break; fi
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/healthz" > /dev/null || { cat "$work/server.log" >&2; echo "readme-walkthrough: the server did not start" >&2; exit 1; }

echo "== running the README walk-through"
# The blocks run in the repository root, where `cargo run` finds the workspace.
bash -euo pipefail "$work/walkthrough.sh" > "$work/output.txt" 2>&1 || {
  cat "$work/output.txt" >&2
  echo "readme-walkthrough: a README command failed" >&2
  exit 1
}
rm -f demo.json tokens.json

echo "== checking the results"
check() {
  if ! grep -q -- "$1" "$work/output.txt"; then
    cat "$work/output.txt" >&2
    echo "readme-walkthrough: expected output containing: $1" >&2
    exit 1
  fi
}
check 'name="password"'
check 'code='
check '"token_type": "Bearer"'
check '"internal_id": "KS-NOADS"'
check '"renew_status": "RENEW"'
check 'expires_in'
check 'KS-NOADS'
echo "readme-walkthrough: passed"
