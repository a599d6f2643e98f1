# Shared helpers for the integration tests (sourced by run.sh, which sources
# one file per feature): counting, expectations, the KVM gate.
PASSED=0 FAILED=0 SKIPPED=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "     $l"; done; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "SKIP $1"; }

have_kvm() { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# run NAME TIMEOUT CMD...: runs CMD with stdout/stderr in $TMP/NAME.{out,err};
# sets RC.  A test never hangs: an outer timeout bounds every run.
run() {
	local name=$1 limit=$2
	shift 2
	timeout -k 5 "$limit" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	RC=$?
}

# has_match PATTERN FILE: whether a line of FILE matches the extended regex PATTERN,
# as grep -Eq would say, but by bash's own regex matching (the same POSIX ERE)
# when FILE is short: in the test host VM (TCG) each grep is a process start
# of a good part of a second.  To grep still: a long file (grep is faster
# there), one with a NUL byte (bash's strings end there), and a pattern that is
# not POSIX ERE (bash says 2) but that grep takes ({ or * where nothing
# repeats: grep reads them as themselves).
has_match() {
	local l lines
	{ mapfile -t -n 301 lines <"$2"; } 2>/dev/null || return 1
	[ "${#lines[@]}" -gt 300 ] && { grep -Eq -- "$1" "$2"; return; }
	IFS= read -r -d '' _ <"$2" && { grep -Eq -- "$1" "$2"; return; }
	[[ "" =~ $1 ]]
	[ $? = 2 ] && { grep -Eq -- "$1" "$2"; return; }
	for l in "${lines[@]}"; do
		[[ $l =~ $1 ]] && return 0
	done
	return 1
}

# first_match VAR PATTERN FILE: VAR is the first group of PATTERN (extended
# regex) in FILE's first line that matches it, empty if none; as has_match, no process.
first_match() {
	local l lines
	printf -v "$1" '%s' ""
	{ mapfile -t lines <"$3"; } 2>/dev/null || return 1
	for l in "${lines[@]}"; do
		[[ $l =~ $2 ]] && { printf -v "$1" '%s' "${BASH_REMATCH[1]}"; return 0; }
	done
	return 1
}

# nap SECONDS: sleep(1) without a process start (read's timeout on a FIFO
# that never has data), for the polling loops of the tests.
# A read that fails at once (no FIFO yet, or its descriptor closed under
# us) opens the FIFO again; failing that, sleep(1): a nap never returns
# early, or the polling loops' bounds would shrink to nothing.
nap() {
	if [ -n "${NAP_FD:-}" ]; then
		read -r -t "$1" -u "$NAP_FD" _ 2>/dev/null
		[ $? -gt 128 ] && return 0
	fi
	{ [ -p "$TMP/nap.fifo" ] || mkfifo "$TMP/nap.fifo"; } 2>/dev/null &&
		exec {NAP_FD}<>"$TMP/nap.fifo" && read -r -t "$1" -u "$NAP_FD" _
	[ $? -gt 128 ] || sleep "$1"
	return 0
}

# expect NAME WANT_RC [PATTERN FILE]...: passes if RC matches and every
# extended-regex PATTERN occurs in its FILE (out or err of NAME).
expect() {
	local name=$1 want=$2 why=""
	shift 2
	[ "$RC" = "$want" ] || why="exit status $RC, want $want"
	while [ $# -ge 2 ]; do
		has_match "$1" "$TMP/$name.$2" || why="${why:+$why; }no /$1/ in std$2"
		shift 2
	done
	if [ -z "$why" ]; then
		pass "$name"
	else
		fail "$name" "$why" "stdout: $(head -c 600 "$TMP/$name.out" | tr '\n' '|')" \
			"stderr: $(head -c 600 "$TMP/$name.err" | tr '\n' '|')"
	fi
}

# check NAME FILE PATTERN...: passes if every extended-regex PATTERN occurs in FILE
# (for a further claim about a run that expect has already judged).
check() {
	local name=$1 file=$2 why=""
	shift 2
	for p in "$@"; do
		has_match "$p" "$file" || why="${why:+$why; }no /$p/ in ${file##*/}"
	done
	[ -z "$why" ] && pass "$name" || fail "$name" "$why"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
# hashes VAR FILE...: VAR is the array of the FILEs' SHA-256s (one sha256sum).
hashes() {
	local l lines
	local -n hashes_out=$1
	sha256sum "${@:2}" >"$TMP/hashes"
	mapfile -t lines <"$TMP/hashes"
	hashes_out=()
	for l in "${lines[@]}"; do
		hashes_out+=("${l%% *}")
	done
}

summary() {
	echo "integration: $PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
}
