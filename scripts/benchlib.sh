# shellcheck shell=bash
# Sourced by the benchmark drivers (bench.sh, bench-iopoll.sh).

# bench_where: run the whole calling script where guests can run.  On this
# machine's /dev/kvm when it is VMX or SVM; otherwise the script re-executes
# itself inside the test host VM (scripts/testvm/run.sh), saying so on its
# first line, so that every row of one run (native, loopback and guest) is
# measured on the same machine.  The test host VM runs under the QEMU
# scripts/testvm/run.sh chooses, as make test's do (TESTVM_QEMU=system asks
# for the machine's QEMU 7.2); the results record which.  Inside the test
# host VM (HV_TESTVM=1) it never re-executes: there is no VM to go further
# into.
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
	local rc=0 sampler
	echo "$name: $KVM_WHY: running $1 in the test host VM (QEMU TCG, emulated SVM: emulator times)"
	# The host's load beside the figures (scripts/host-load.sh, benchlib.where).
	mkdir -p build/bench
	scripts/host-load.sh build/bench/host-load.txt &
	sampler=$!
	HV_HOST_LOAD=build/bench/host-load.txt scripts/testvm/run.sh --timeout "$limit" -- "$@" || rc=$?
	kill "$sampler" 2>/dev/null
	exit "$rc"
}

# attempt PATH WORKLOAD REP BASE CMD...: CMD's stdout to BASE.out, stderr to
# BASE.err.  A run that exits non-zero, or (with want=PREFIX) prints no line
# starting with PREFIX, is reported here with its exit status and the last
# lines of both files, recorded in $RAW/failures.jsonl, and its files renamed
# *.failed so that the report reads only runs that worked.
attempt() {
	local path=$1 w=$2 rep=$3 base=$4 rc=0 why f
	shift 4
	"$@" >"$base.out" 2>"$base.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		why="exit status $rc"
	elif [ -n "${want:-}" ] && ! grep -q "^$want" "$base.out"; then
		why="exit status 0 but no '$want' line"
	else
		return 0
	fi
	mv "$base.out" "$base.out.failed" && mv "$base.err" "$base.err.failed"
	echo "${0##*/}: $path ${w:+$w }run $rep failed: $why; last lines of its output:" >&2
	for f in "$base.out.failed" "$base.err.failed"; do
		echo "  $f:"
		tail -n 5 "$f" | sed 's/^/    /'
	done >&2
	python3 scripts/benchlib.py failure "$path" "$w" "$rep" "$why" \
		"$base.out.failed" "$base.err.failed" >>"$RAW/failures.jsonl"
	return 1
}
