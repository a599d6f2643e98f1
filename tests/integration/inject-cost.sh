#!/usr/bin/env bash
# What fault injection costs when no rule is set (docs/FAULTS.md): blkbench
# randread-4k-qd1 on a null disk, PV and trap, and netloop on a loop NIC, PV
# and trap, under three hv binaries or options: BASE_HV (hv built before fault injection existed), this tree's hv
# without --fault, and with a rule that never fires (read-error@p0: the
# per-request check itself).  Per I/O: KVM exits and exits that reached hv
# (blkbench's own counts over the workload), and hv's system calls
# (strace -f -c, all threads; the 4 s run less the 1 s run, per extra I/O).
# Needs /dev/kvm: scripts/testvm/run.sh -- tests/integration/inject-cost.sh BASE_HV
# Writes build/fault-cost.txt.
set -u
cd "$(dirname "$0")/../.."
base=${1:?usage: [BASE_LABEL=TEXT] inject-cost.sh BASE_HV}
out=build/fault-cost.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
json_num() { grep -o "\"$1\":[0-9.]*" "$2" | head -1 | cut -d: -f2; }

# One run: blkbench's JSON in $tmp/o, strace's summary in $tmp/s; "IOS CALLS".
one() { # SECONDS HV DEVOPT DEV [--fault RULE]
	local t=$1 hv=$2 opt=$3 dev=$4
	shift 4
	strace -f -c -U calls,name -o "$tmp/s" "$hv" run --timeout 120 "$opt" null:64M "$@" \
		build/guest-kernel.elf -- blkbench "$dev" --time "$t" --json randread-4k-qd1 >"$tmp/o" 2>"$tmp/e"
	echo "$(json_num ios "$tmp/o") $(awk '$NF == "total" { print $1 }' "$tmp/s")"
}

# Exits per I/O are blkbench's own (counted over the workload only); system
# calls per I/O are the difference between a 4 s and a 1 s run over the
# difference in I/Os, so start-up and exit do not count.
measure() { # LABEL HV DEVOPT DEV [--fault RULE]
	local label=$1
	shift
	one 1 "$@" >"$tmp/r1" # (the test host VM has no /dev/fd for <(...))
	read -r ios1 calls1 <"$tmp/r1"
	one 4 "$@" >"$tmp/r4"
	read -r ios4 calls4 <"$tmp/r4"
	printf '%-40s %-8s ios %6s  kvm exits/io %6s  hv exits/io %6s  syscalls/io %6s\n' "$label" "$3" \
		"${ios4:-?}" "$(json_num exits_per_io "$tmp/o")" "$(json_num hv_exits_per_io "$tmp/o")" \
		"$(awk -v a="${calls1:-0}" -v b="${calls4:-0}" -v m="${ios1:-0}" -v n="${ios4:-0}" \
			'BEGIN { if (n > m) printf "%.3f", (b - a) / (n - m); else print "?" }')"
}

# One NIC run: netcost's JSON line in $tmp/o, strace's summary in $tmp/s; "FRAMES CALLS".
nic_one() { # FRAMES HV NETOPT DEV [--fault RULE]
	local n=$1 hv=$2 opt=$3 dev=$4
	shift 4
	strace -f -c -U calls,name -o "$tmp/s" "$hv" run --timeout 120 "$opt" loop "$@" \
		build/guest-kernel.elf -- netcost netloop "$dev" "$n" >"$tmp/o" 2>"$tmp/e"
	echo "$(json_num rx_frames "$tmp/o") $(awk '$NF == "total" { print $1 }' "$tmp/s")"
}

nic_measure() { # LABEL HV NETOPT DEV FRAMES [--fault RULE]
	local label=$1 hv=$2 opt=$3 dev=$4 n=$5
	shift 5
	nic_one "$n" "$hv" "$opt" "$dev" "$@" >"$tmp/r1"
	read -r f1 calls1 <"$tmp/r1"
	nic_one $((4 * n)) "$hv" "$opt" "$dev" "$@" >"$tmp/r4"
	read -r f4 calls4 <"$tmp/r4"
	printf '%-40s %-8s frames %6s  kvm exits/frame %6s  hv exits/frame %6s  syscalls/frame %6s\n' \
		"$label" "$dev" "${f4:-?}" \
		"$(awk -v e="$(json_num kvm_exits "$tmp/o")" -v f="${f4:-0}" 'BEGIN { if (f) printf "%.3f", e / f; else print "?" }')" \
		"$(awk -v e="$(json_num hv_exits "$tmp/o")" -v f="${f4:-0}" 'BEGIN { if (f) printf "%.3f", e / f; else print "?" }')" \
		"$(awk -v a="${calls1:-0}" -v b="${calls4:-0}" -v m="${f1:-0}" -v n="${f4:-0}" \
			'BEGIN { if (n > m) printf "%.3f", (b - a) / (n - m); else print "?" }')"
}

{
	echo "# blkbench randread-4k-qd1, null:64M, 1 s and 4 s, under strace -f -c; $(date -u +%FT%TZ), $(uname -r), $(nproc) CPU"
	for d in "--disk pvblk0" "--trap-disk trapblk0"; do
		set -- $d
		measure "${BASE_LABEL:-base}" "$base" "$1" "$2"
		measure "this tree, no --fault" build/hv "$1" "$2"
		measure "this tree, --fault $2:read-error@p0" build/hv "$1" "$2" --fault "$2:read-error@p0"
	done
	# The NICs: netloop on a loop NIC (every frame sent comes back), the
	# rx- path included; per frame received: KVM exits and exits to hv
	# (netcost's counts over the workload), hv's system calls (a run of 4N
	# frames less one of N).  The rule that never fires is rx-drop@p0.
	echo "# netloop on a loop NIC under netcost, N and 4N frames, under strace -f -c"
	for d in "--net pvnet0 5000" "--trap-net trapnet0 500"; do
		set -- $d
		nic_measure "${BASE_LABEL:-base}" "$base" "$@"
		nic_measure "this tree, no --fault" build/hv "$@"
		nic_measure "this tree, --fault $2:rx-drop@p0" build/hv "$@" --fault "$2:rx-drop@p0"
	done
} | tee "$out"
