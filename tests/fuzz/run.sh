#!/usr/bin/env bash
# Runs hv's fuzz targets (build/fuzz/NAME, built by make from
# tests/fuzz/fuzz_NAME.c), each for --seconds S: first over its corpus in the
# tree (tests/fuzz/corpus/NAME: seeds, and the input of every crash found and
# fixed, so none comes back) and what earlier runs found (build/fuzz/corpus/NAME),
# then on inputs libFuzzer derives from them, at most --jobs J targets at a
# time.  Prints per target its executions, coverage and crashes, and writes
# them to --json FILE.  --fresh starts from the tree's corpus alone (make test:
# the same inputs everywhere, plus a short random run).  Exits 1 if any target
# crashed, leaked, hung or caught hv breaking a promise; the input that did it
# is kept in build/fuzz/crashes/NAME/ and the log in build/fuzz/logs/NAME.log.
#   usage: tests/fuzz/run.sh [--seconds S] [--jobs J] [--json FILE] [--fresh] [NAME...]
set -u
cd "$(dirname "$0")/../.."
secs=60 jobs=2 json="" fresh=0
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) secs=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	--fresh) fresh=1; shift ;;
	-*) sed -n 's/^#   usage: /usage: /p' "$0" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in tests/fuzz/fuzz_*.c; do
		n=${f##*/fuzz_}
		names+=("${n%.c}")
	done
fi
for n in "${names[@]}"; do
	[ -x "build/fuzz/$n" ] || { echo "fuzz: no build/fuzz/$n (run make $PWD/build/fuzz/$n)" >&2; exit 2; }
done
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
mkdir -p build/fuzz/logs

# One target: its log, its exit status, its wall time, the crash files it left.
run_one() {
	local n=$1 corpus=build/fuzz/corpus/$1 crashes=build/fuzz/crashes/$1 t0 t1
	[ "$fresh" = 1 ] && corpus=$state/corpus-$n
	mkdir -p "$corpus" "$crashes" "tests/fuzz/corpus/$n"
	ls "$crashes" >"$state/$n.before"
	t0=$(date +%s.%N)
	# -timeout: one input running 10 s is a hang; -max_len: inputs are programs, 4 KiB is long.
	"build/fuzz/$n" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -max_len=4096 -artifact_prefix="$crashes/" \
		"$corpus" "tests/fuzz/corpus/$n" >"build/fuzz/logs/$n.log" 2>&1
	echo $? >"$state/$n.rc"
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' >"$state/$n.secs"
	ls "$crashes" | grep -vxF -f "$state/$n.before" >"$state/$n.crashes"
}

echo "fuzz: ${#names[@]} targets, $secs s each, $jobs at a time$([ "$fresh" = 1 ] && echo ", from the tree's corpus alone")"
running=0
for n in "${names[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$n" &
	running=$((running + 1))
done
wait

python3 tests/fuzz/report.py "$state" "$secs" "$jobs" "$fresh" "$json" "${names[@]}"
