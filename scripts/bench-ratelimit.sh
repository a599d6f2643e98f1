#!/usr/bin/env bash
# Rate limits and metrics measured (issue 21), all in one run on one host:
# scripts/bench-ratelimit.py says what (PV disk ops/s and bytes/s limits,
# PV NIC rx/tx frames/s and bytes/s limits, each at 0.4x the unlimited rate
# of the same run, every 1 s window against the 5% criterion; exits and
# system calls per request with limits unset, set far above the rate, and
# in an hv without the limit code; exits per request under a 10 Hz GET
# /metrics scraper).  Writes build/bench/ratelimit.json.
#   scripts/bench-ratelimit.sh prepare   (here: builds build/nolimit/, hv at
#                                         the commit before rate limits existed)
#   scripts/testvm/run.sh -- scripts/bench-ratelimit.sh
set -u
cd "$(dirname "$0")/.."
# The commit before 7eb3e04 ("Rate limits per PV queue"): the same hv without the limit code.
NOLIMIT_COMMIT=7eb3e04^
NOLIMIT=build/nolimit
if [ "${1:-}" = prepare ]; then
	rm -rf "$NOLIMIT" && mkdir -p "$NOLIMIT/build/gen" || exit 1
	git archive "$NOLIMIT_COMMIT" | tar -x -C "$NOLIMIT" || exit 1
	# lwIP and cJSON as this checkout fetched them (nothing downloads again).
	cp -a build/cjson build/lwip build/musl-include "$NOLIMIT/build/" &&
		cp -a build/gen/cjson "$NOLIMIT/build/gen/" || exit 1
	exec make -C "$NOLIMIT" build/hv build/guest-kernel.elf
fi
[ -c /dev/kvm ] || { echo "bench-ratelimit: no /dev/kvm (run it in scripts/testvm/run.sh)"; exit 1; }
# perf's raw_syscalls tracepoint needs tracefs (the test host VM does not mount it).
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
py=/usr/bin/python3
[ -x "$py" ] || py=python3
extra=()
if [ -x "$NOLIMIT/build/hv" ] && [ -f "$NOLIMIT/build/guest-kernel.elf" ]; then
	extra=("$NOLIMIT/build/hv" "$NOLIMIT/build/guest-kernel.elf")
else
	echo "bench-ratelimit: no $NOLIMIT/build/hv (scripts/bench-ratelimit.sh prepare): the no-limit-code case is left out"
fi
mkdir -p build/bench
exec "$py" scripts/bench-ratelimit.py build/bench/ratelimit.json "${extra[@]}"
