#!/usr/bin/env bash
# On a host whose /dev/kvm is KVM's PVM backend (every guest instruction
# emulated, about 2 million per second): one boot of the guest kernel on it,
# `hello` through the UART and the hypercall console, and its exit status.
# The full suite runs in the test host VM; this proves hv's entry state is
# accepted here and the guest's early code runs under the emulator, and that
# hv hides PV EOI here (x86/cpuid.c: PVM never marks an interrupt for it).
set -u
cd "$(dirname "$0")/../.." || exit 2
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
timeout -k 5 600 build/hv run --verbose --timeout 590 build/guest-kernel.elf -- hello >"$out" 2>"$err"
rc=$?
if [ "$rc" = 0 ] && grep -q "^hello from the guest, through the console hypercall$" "$out" &&
	grep -q "^hello from the guest, through the trapped 16550 UART$" "$out" &&
	grep -q "KVM backend: PVM" "$err" &&
	grep -q "^hv: CPUID: hidden pv-eoi (KVM supports it): the PVM backend" "$err"; then
	echo "PASS pvm-smoke ($(grep -c . "$out") lines)"
	exit 0
fi
echo "FAIL pvm-smoke: exit status $rc"
sed 's/^/     stdout: /' "$out" | head -20
sed 's/^/     stderr: /' "$err" | head -20
exit 1
