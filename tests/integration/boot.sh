# shellcheck shell=bash
# Guests under KVM: the self-test, both console paths, --stats, exit statuses,
# the fatal-exception report, --timeout.
host_ns=$(build/tests/host-cpuloop)
run selftest 60 "$HV" run --timeout 50 "$KERNEL" -- selftest "host-loop-ns=$host_ns"
expect selftest 0 "selftest: [0-9]+ checks, 0 failed" out "ok +cpu: .*host" out
grep -q "FAIL" "$TMP/selftest.out" && fail selftest-no-fail-lines "$(grep FAIL "$TMP/selftest.out" | head -3)"

run hello-uart-and-hypercall 30 "$HV" run --stats --timeout 20 "$KERNEL" -- hello
expect hello-uart-and-hypercall 0 "^hello from the guest, through the trapped 16550 UART$" out \
	"^hello from the guest, through the console hypercall$" out \
	"console bytes uart [1-9][0-9]* hypercall [1-9]" err

run stats 30 "$HV" run --stats --timeout 20 "$KERNEL" -- hello
expect stats 0 "KVM backend (VMX|SVM)" err "exits to hv [1-9]" err "hv  exit  io +[1-9]" err \
	"hypercall console_write +[1-9]" err "kvm vcpu  exits +[1-9]" err
# --stats agrees with itself: io exits = hypercalls + port accesses; hypercalls = their sum by name.
python3 tests/integration/stats-check.py "$TMP/stats.err" 2>"$TMP/stats-sums.err" && pass stats-consistent || fail stats-consistent "$(tail -1 "$TMP/stats-sums.err")"

# The guest's status passes through; one that collides with hv's own is marked on stderr.
for st in 0 3 1 2 124 125; do
	run exit-status-$st 30 "$HV" run --timeout 20 "$KERNEL" -- exit $st
	case $st in
	1 | 2 | 124 | 125) expect exit-status-$st $st "^hv: guest exited with status $st$" err ;;
	*) expect exit-status-$st $st
	   if [ -s "$TMP/exit-status-$st.err" ]; then
		fail exit-status-$st-quiet "stderr: $(head -1 "$TMP/exit-status-$st.err")"
	   else
		pass exit-status-$st-quiet
	   fi ;;
	esac
done

run verbose-backend 30 "$HV" run --verbose --timeout 20 "$KERNEL" -- hello
expect verbose-backend 0 "KVM backend: (VMX|SVM)" err

run divzero-reported 30 "$HV" run --timeout 20 "$KERNEL" -- divzero
expect divzero-reported 128 "FATAL: divide error \(vector 0\)" out "RIP=0000000000[0-9a-f]+" out

run timeout-kills 30 "$HV" run --timeout 1 "$KERNEL" -- spin
expect timeout-kills 124 "killed after --timeout 1.000 s" err

run unknown-command 30 "$HV" run --timeout 20 "$KERNEL" -- frobnicate
expect unknown-command 2 "unknown command 'frobnicate'" out "selftest" out
