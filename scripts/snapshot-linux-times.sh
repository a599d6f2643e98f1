#!/usr/bin/env bash
# How much the Linux integration tests gained from starting at a restored
# snapshot instead of a boot (docs/SNAPSHOT.md, "Linux guests"): runs
# `tests/integration/run.sh linux linux-pv` in the test host VM twice, with
# the test scripts of BASE (the commit before they restored snapshots) and
# with this tree's, on the same hv binary (this tree's), one after the other;
# each feature's "---- F took N s" line and its pass/fail counts go into
# build/snapshot/linux-tests.json (scripts/snapshot_linux_times.py).
#   usage: scripts/snapshot-linux-times.sh [BASE]    (BASE: 1ae114c)
set -uo pipefail
cd "$(dirname "$0")/.."
base=${1:-1ae114c}
out=build/snapshot
feats="linux linux-pv"
mkdir -p "$out"
# BASE's test scripts beside this tree's build (run.sh works from its own top).
rm -rf "$out/base" && mkdir -p "$out/base"
git archive "$base" tests/integration | tar -x -C "$out/base" || exit 1
ln -s ../../../build "$out/base/build"
# shellcheck disable=SC2086
scripts/testvm/run.sh -- bash -c "cd $out/base && tests/integration/run.sh $feats" \
	2>&1 | tee "$out/linux-tests-before.log"
# shellcheck disable=SC2086
scripts/testvm/run.sh -- tests/integration/run.sh $feats 2>&1 | tee "$out/linux-tests-after.log"
python3 scripts/snapshot_linux_times.py "$base" "$out/linux-tests-before.log" \
	"$out/linux-tests-after.log" >"$out/linux-tests.json" && cat "$out/linux-tests.json"
