#!/usr/bin/env bash
# Runs integration features in a test host VM, once more if the VM froze:
#   scripts/testvm/integ.sh LOG FEATURE...
# under the QEMU scripts/testvm/run.sh chooses.  The output goes to
# LOG, and to standard output too when INTEG_TEE=1.  A VM that froze
# (run.sh's "testvm: the VM froze": a lost wakeup in QEMU's emulated nested
# SVM, not a verdict of any test) runs again once, in a new VM, from the
# feature it froze in: that feature's lines from the frozen VM are dropped,
# the features it finished count, and LOG says so (LOG.frozen keeps the
# frozen VM's whole output) and ends with the sum of
# both VMs' "integration: N passed, N failed, N skipped".  Exit status: the
# last VM's.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
log=$1
shift

# Shown too (INTEG_TEE=1) or not: where vm and say copy what goes to LOG.
if [ "${INTEG_TEE:-0}" = 1 ]; then exec {show}>&1; else exec {show}>/dev/null; fi

# vm FEATURE...: one VM, its output appended to LOG.
vm() {
	scripts/testvm/run.sh --timeout "${TESTVM_TIMEOUT:-1500}" -- \
		tests/integration/run.sh "$@" 2>&1 | tee -a "$log" >&"$show"
	return "${PIPESTATUS[0]}"
}
say() { echo "$1" | tee -a "$log" >&"$show"; }

: >"$log"
vm "$@"
rc=$?
frozen=$(grep -m1 '^testvm: the VM froze' "$log") || exit "$rc"

# What the frozen VM finished: every line up to its last "---- F took N s".
# Its whole output stays in LOG.frozen, and its last line before the freeze
# is said: where it froze is what a post-mortem needs first.
last=$(grep -n '^---- .* took [0-9]* s$' "$log" | tail -1 | cut -d: -f1)
finished=$(head -n "${last:-0}" "$log")
cp "$log" "$log.frozen"
at=$(tail -n +"$((${last:-0} + 1))" "$log" | grep -av '^qemu-system\|^testvm: ' | tail -1)
rest=()
for f in "$@"; do
	grep -qx -- "---- $f took [0-9]* s" <<<"$finished" || rest+=("$f")
done
printf '%s\n' "$finished" >"$log"
count() { grep -c "^$1 " <<<"$finished"; }
p=$(count PASS) f=$(count FAIL) k=$(count SKIP)
if [ ${#rest[@]} -eq 0 ]; then # every feature finished: only the summary was lost
	say "integration: ${frozen#testvm: } after its last feature"
	say "integration: the frozen VM's last line ($log.frozen has them all): ${at:-none}"
	say "integration: $p passed, $f failed, $k skipped"
	[ "$f" -eq 0 ]
	exit
fi
say "integration: ${frozen#testvm: } in ${rest[0]}; ${rest[*]} run again in a new VM (the frozen VM's ${rest[0]} lines dropped; its finished features: $p passed, $f failed, $k skipped)"
say "integration: the frozen VM's last line ($log.frozen has them all): ${at:-none}"
vm "${rest[@]}"
rc=$?
sum=$(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$log" | tail -1)
if [ -n "$sum" ]; then
	read -r p2 f2 k2 <<<"$sum"
	say "integration: $((p + p2)) passed, $((f + f2)) failed, $((k + k2)) skipped"
fi
exit "$rc"
