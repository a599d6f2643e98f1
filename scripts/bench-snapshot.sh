#!/usr/bin/env bash
# Snapshot and restore, measured (docs/SNAPSHOT.md): restore with 64 MiB and
# 1 GiB of guest RAM (time to the guest's first output after exec, and hv's
# own phases, against a cold boot of the same guest), snapshot create time,
# and the guest's first 100 reads after a restore against a warm VM's.
# Prints and writes build/bench/snapshot.json; asserts nothing.  Runs where
# KVM does (scripts/kvm-host.sh): here, or inside the test host VM.
#   RUNS=N (default 5) restores and boots per size.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
[ -x build/hv ] && [ -f build/guest-kernel.elf ] || { echo "bench-snapshot: run make first" >&2; exit 2; }
mkdir -p build/bench
. scripts/kvm-host.sh
if [ "${HV_TESTVM:-0}" = 1 ] || [ "$KVM_WHERE" = local ]; then
	exec python3 scripts/bench-snapshot.py build/bench/snapshot.json "${RUNS:-5}" \
		"${HV_TESTVM:+test host VM (QEMU TCG, nested SVM)}"
fi
echo "bench-snapshot: in the test host VM: $KVM_WHY"
exec scripts/testvm/run.sh --timeout 1800 -- scripts/bench-snapshot.sh
