#!/usr/bin/env bash
# Runs schemathesis against a demo HQ from HQ's own OpenAPI document, longer than the test
# suite does: the same test (hq-server/tests/schemathesis.rs), more examples, any seed.
#   hq-server/scripts/schemathesis.sh [examples per operation, default 200] [seed, default 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tillpoint/target}"
export TILLPOINT_SCHEMATHESIS_EXAMPLES="${1:-200}" TILLPOINT_SCHEMATHESIS_SEED="${2:-1}"
exec cargo test -p hq-server --test schemathesis -- --nocapture
