# Sourced by the benchmark drivers: run the whole calling script where guests
# can run.  On this machine's /dev/kvm when it is VMX or SVM; otherwise the
# script re-executes itself inside the test host VM (scripts/testvm/run.sh),
# saying so on its first line, so that every row of one run (native,
# loopback and guest) is measured on the same machine.  Inside the test host
# VM (HV_TESTVM=1) it never re-executes: there is no VM to go further into.
#   bench_where NAME VM-TIMEOUT-SECONDS "$0" "$@"
# The VM's payload sees only the variables scripts/testvm/run.sh passes
# (QUICK, RUNS, BENCH_TIME, V): drivers take everything else as arguments.
bench_where() {
	local name=$1 limit=$2
	shift 2
	. scripts/kvm-host.sh
	if [ "$KVM_WHERE" = local ] || [ "${HV_TESTVM:-0}" = 1 ]; then
		return 0
	fi
	echo "$name: $KVM_WHY: running $1 in the test host VM (QEMU TCG, emulated SVM: emulator times)"
	exec scripts/testvm/run.sh --timeout "$limit" -- "$@"
}
