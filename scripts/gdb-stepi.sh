#!/usr/bin/env bash
# Measures one gdb `stepi` round trip through hv's gdb stub: hv's kernel
# waits for gdb (--gdb unix:...), Debian's gdb in batch mode connects and
# runs `stepi N` (N single steps, each vCont;s, the KVM_EXIT_DEBUG, the stop
# reply and gdb's register read), timed from inside gdb; the mean goes to
# build/gdb/stepi.json.  Needs /dev/kvm: on a machine without, run it in the
# test host VM (scripts/testvm/run.sh -- scripts/gdb-stepi.sh).
#   usage: scripts/gdb-stepi.sh [STEPS]   (default 500)
set -u
cd "$(dirname "$0")/.."
steps=${1:-500}
case "$steps" in '' | *[!0-9]* | 0) echo "usage: scripts/gdb-stepi.sh [STEPS]" >&2; exit 2 ;; esac
[ -x build/hv ] && [ -e build/guest-kernel.elf ] || { echo "gdb-stepi: run make first" >&2; exit 1; }
command -v gdb >/dev/null || { echo "gdb-stepi: no gdb (scripts/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p build/gdb
timeout -k 5 600 build/hv run --timeout 590 --gdb "unix:$tmp/s" build/guest-kernel.elf -- spin \
	>"$tmp/hv.out" 2>"$tmp/hv.err" &
hv=$!
for _ in $(seq 60); do grep -q "waiting for gdb" "$tmp/hv.err" && break; sleep 0.5; done
timeout -k 5 600 gdb -batch -nx -ex "set pagination off" -ex "set confirm off" \
	-ex "target remote $tmp/s" -ex "stepi" -ex "shell date +%s%N >$tmp/t0" -ex "stepi $steps" \
	-ex "shell date +%s%N >$tmp/t1" -ex "kill" build/guest-kernel.elf </dev/null \
	>"$tmp/gdb.out" 2>"$tmp/gdb.err"
wait "$hv"
if [ ! -s "$tmp/t0" ] || [ ! -s "$tmp/t1" ]; then
	echo "gdb-stepi: the session failed:" >&2
	cat "$tmp/hv.err" "$tmp/gdb.err" >&2
	exit 1
fi
ns=$(($(cat "$tmp/t1") - $(cat "$tmp/t0")))
where=$([ -n "${HV_TESTVM:-}" ] && echo "test host VM (QEMU ${HV_TESTVM_QEMU:-system} TCG, emulated SVM)" || echo "$(uname -n)")
printf '{"steps": %d, "total_ms": %d.%03d, "stepi_round_trip_us": %d, "where": "%s"}\n' \
	"$steps" $((ns / 1000000)) $((ns / 1000 % 1000)) $((ns / steps / 1000)) "$where" \
	| tee build/gdb/stepi.json
