#!/usr/bin/env bash
# Fuzz the whole REST API with schemathesis for a fixed time (default ten
# minutes): first the suite's repeatable examples, then new random ones, run
# after run, until the time is up. Prints one line per run and a total; exits
# non-zero when any run found a server error or a schema violation.
# Usage: scripts/fuzz-api.sh [SECONDS]   (PYTEST defaults to .venv/bin/pytest)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
pytest=${PYTEST:-.venv/bin/pytest}
log_dir=${FUZZ_LOG_DIR:-var/fuzz}
mkdir -p "$log_dir"
deadline=$(( $(date +%s) + seconds ))
runs=0 failed_runs=0 cases=0 server_errors=0
run() {
  local name=$1; shift
  local log="$log_dir/$name.log" started=$(date +%s)
  NETDESK_DATABASE_URL="${NETDESK_DATABASE_URL:-}" "$@" "$pytest" -p no:cacheprovider \
    -m fuzz tests/api/test_fuzz_openapi.py >"$log" 2>&1
  local rc=$? summary
  summary=$(tail -n 1 "$log")
  runs=$((runs + 1))
  # pytest reports one test per operation; each ran NETDESK_FUZZ_EXAMPLES examples at most.
  local passed
  passed=$(grep -o '[0-9]\+ passed' "$log" | tail -n 1 | cut -d' ' -f1)
  cases=$((cases + ${passed:-0} * ${NETDESK_FUZZ_EXAMPLES:-25}))
  if [ $rc -ne 0 ]; then failed_runs=$((failed_runs + 1)); fi
  # A failing operation names each kind of failure; 5xx answers are "Server error".
  server_errors=$((server_errors + $(grep -c '^  | - .*Server error' "$log")))
  echo "fuzz $name: $summary ($(( $(date +%s) - started )) s, log $log)"
}
run stored env
while [ "$(date +%s)" -lt "$deadline" ]; do
  run "random-$runs" env NETDESK_FUZZ_RANDOM=1
done
echo "fuzz: $runs runs in ${seconds} s budget, up to $cases examples, $failed_runs runs failing, $server_errors server errors"
[ $failed_runs -eq 0 ]
