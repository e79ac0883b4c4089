#!/usr/bin/env bash
# The whole suite on SQLite and on PostgreSQL, side by side: each run keeps
# about one core busy (one pytest process, its server or subprocesses on and
# off), so on a machine of two cores the pair ends in little more than the
# longer of the two instead of their sum. The PostgreSQL run's output is kept
# in a file and printed when it ends, so the two do not interleave.
# NETDESK_TESTS_ONE_AFTER_THE_OTHER=1 runs them in turn instead.
set -uo pipefail
cd "$(dirname "$0")/.."
make_cmd=${MAKE:-make}

if [ "${NETDESK_TESTS_ONE_AFTER_THE_OTHER:-0}" = "1" ]; then
  "$make_cmd" --no-print-directory test-sqlite && "$make_cmd" --no-print-directory test-postgres
  exit $?
fi

log=$(mktemp /tmp/netdesk-test-postgres.XXXXXX.log)
trap 'rm -f "$log"' EXIT
"$make_cmd" --no-print-directory test-postgres >"$log" 2>&1 &
postgres_run=$!
echo "test-both: the PostgreSQL run goes on beside this one; its output follows this run's"

"$make_cmd" --no-print-directory test-sqlite
sqlite_rc=$?
wait "$postgres_run"
postgres_rc=$?

echo "==================== PostgreSQL run ===================="
cat "$log"
echo "test-both: SQLite run exit $sqlite_rc, PostgreSQL run exit $postgres_rc"
[ "$sqlite_rc" -eq 0 ] && [ "$postgres_rc" -eq 0 ]
