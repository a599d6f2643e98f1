#!/usr/bin/env bash
# Runs every test: the CUnit unit tests (ASan+UBSan), then the integration
# tests.  Prints each suite's own summary, then one closing line with the
# totals; exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."

unit_log=$(mktemp)
trap 'rm -f "$unit_log"' EXIT
ASAN_OPTIONS=detect_leaks=1 build/unit-tests 2>&1 | tee "$unit_log"
unit_rc=${PIPESTATUS[0]}
# CUnit's "tests  <total> <ran> <passed> <failed> <inactive>" row.
read -r u_ran u_pass u_fail < <(awk '$1 == "tests" { print $3, $4, $5 }' "$unit_log")
if [ -z "${u_ran:-}" ]; then
	echo "unit tests did not report (exit status $unit_rc)"
	u_pass=0 u_fail=1
fi

integ_log=$(mktemp)
trap 'rm -f "$unit_log" "$integ_log"' EXIT
tests/integration/run.sh | tee "$integ_log"
integ_rc=${PIPESTATUS[0]}
read -r i_pass i_fail i_skip < <(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$integ_log")
if [ -z "${i_pass:-}" ]; then
	echo "integration tests did not report (exit status $integ_rc)"
	i_pass=0 i_fail=1 i_skip=0
fi

echo
echo "tests: $((u_pass + i_pass)) passed, $((u_fail + i_fail)) failed, $i_skip skipped"
[ "$unit_rc" -eq 0 ] && [ "$integ_rc" -eq 0 ] && [ "$((u_fail + i_fail))" -eq 0 ]
