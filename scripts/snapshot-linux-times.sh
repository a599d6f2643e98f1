#!/usr/bin/env bash
# How much the Linux integration tests gain from starting at a restored
# snapshot instead of a boot (docs/SNAPSHOT.md, "Linux guests"): for each of
# `linux` and `linux-pv`, runs the feature alone in a fresh test host VM
# twice, with the test scripts of BASE (the commit before they restored
# snapshots: a boot each time) and with this tree's, back to back on the
# same hv binary (this tree's); each run's "---- F took N s" line, its
# pass/fail counts and the phase times this tree's scripts print ("time
# LABEL N s", lx_time in tests/integration/snap-lib.sh) go into
# build/snapshot/linux-tests.json (scripts/snapshot_linux_times.py).
#   usage: scripts/snapshot-linux-times.sh [BASE]    (BASE: 1ae114c)
set -uo pipefail
cd "$(dirname "$0")/.."
base=${1:-1ae114c}
out=build/snapshot
mkdir -p "$out"
# BASE's test scripts beside this tree's build (run.sh works from its own top).
rm -rf "$out/base" && mkdir -p "$out/base"
git archive "$base" tests/integration | tar -x -C "$out/base" || exit 1
ln -s ../../../build "$out/base/build"
logs=() load0=$(cut -d" " -f1 /proc/loadavg)
for f in linux linux-pv; do
	# Interleaved, so a change in the machine's load falls on both variants alike.
	scripts/testvm/run.sh -- bash -c "cd $out/base && tests/integration/run.sh $f" \
		2>&1 | tee "$out/$f-boot.log"
	scripts/testvm/run.sh -- tests/integration/run.sh "$f" 2>&1 | tee "$out/$f-snapshot.log"
	logs+=("$out/$f-boot.log" "$out/$f-snapshot.log")
done
python3 scripts/snapshot_linux_times.py "$base" "$load0 at the start, $(cut -d" " -f1 /proc/loadavg) at the end" "${logs[@]}" \
	>"$out/linux-tests.json" && cat "$out/linux-tests.json"
