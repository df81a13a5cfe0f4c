#!/usr/bin/env bash
# Fuzzes a demo HQ from its own OpenAPI document with schemathesis (pip install schemathesis).
# Starts HQ on a loopback port with a fresh demo database, signs in as the demo admin, enrols a
# till, runs every check, and stops HQ. Usage: hq-server/scripts/schemathesis.sh [extra st args]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tillpoint/target}"
cargo build -q -p hq-server
hq="$CARGO_TARGET_DIR/debug/hq-server"
work=$(mktemp -d)
port=${PORT:-18099}
"$hq" --db "$work/hq.sqlite" demo-data --products 300 > "$work/demo.txt" 2>/dev/null
"$hq" --db "$work/hq.sqlite" serve --listen "127.0.0.1:$port" 2> "$work/serve.log" &
server=$!
trap 'kill $server; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.2; done
cookie=$(curl -s -i -X POST "http://127.0.0.1:$port/api/v1/session" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"tillpoint-admin"}' | sed -n -E 's/^set-cookie: (tp_session=[^;]+).*/\1/ip')
code=$(sed -n -E 's/.*till 01 \(id 1\): enrolment code (.*)$/\1/p' "$work/demo.txt")
token=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/sync/enrol" -H 'content-type: application/json' \
  -d "{\"protocol\":1,\"code\":\"$code\",\"device_name\":\"fuzz\"}" | sed -E 's/.*"token":"([^"]+)".*/\1/')
# Signing out and changing users would end the fuzzer's own session: those run without credentials.
schemathesis run "http://127.0.0.1:$port/api/v1/openapi.json" --url "http://127.0.0.1:$port" \
  -H "Cookie: $cookie" -H "x-till-token: $token" --checks all \
  --exclude-path /api/v1/session --exclude-path-regex '^/api/v1/users/\{id\}$' "$@" || status=$?
schemathesis run "http://127.0.0.1:$port/api/v1/openapi.json" --url "http://127.0.0.1:$port" --checks all \
  --include-path /api/v1/session --include-path /api/v1/sync/enrol --include-path /health "$@" || status=$?
exit "${status:-0}"
