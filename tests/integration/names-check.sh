#!/usr/bin/env bash
# run.sh sources lib.sh and every feature script into one shell, so a shell
# function two of them define is silently replaced by whichever came last
# (lib.sh's `has` and `nap` were, by faults.sh's, and every later feature's
# checks failed).  Fails for each name defined in more than one sourced
# script; scripts with a #! line run on their own and are left out.
# Prints "names: N passed, N failed" (one check per sourced script).
cd "$(dirname "$0")/../.." || exit 2
declare -A where
pass=0 fail=0
for f in tests/integration/*.sh; do
	IFS= read -r first <"$f"
	[[ $first == '#!'* ]] && continue
	ok=1
	while IFS= read -r l; do
		[[ $l =~ ^([A-Za-z_][A-Za-z0-9_]*)\(\) ]] || continue
		n=${BASH_REMATCH[1]}
		if [ -n "${where[$n]:-}" ] && [ "${where[$n]}" != "$f" ]; then
			echo "FAIL names: $n() is defined in ${where[$n]} and $f (run.sh sources both into one shell)"
			ok=0
		fi
		where[$n]=$f
	done <"$f"
	[ "$ok" = 1 ] && pass=$((pass + 1)) || fail=$((fail + 1))
done
echo "names: $pass passed, $fail failed"
[ "$fail" = 0 ]
