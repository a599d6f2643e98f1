# shellcheck shell=bash
# Snapshot helpers shared by snapshot.sh, linux.sh and linux-pv.sh (sourced):
# the control API's calls (hv ctl and curl on hv's socket), and a Linux guest booted
# once to its shell prompt and snapshotted there, so later tests restore it
# instead of booting (docs/SNAPSHOT.md, "Linux guests").

# api_up SOCK: waits (10 s at most) until hv answers on its control socket.
# hv ctl, not curl, where it can: in the test host VM a curl takes seconds
# to start (its libraries over 9p), hv's static binary a fifth of one.
api_up() {
	local i
	for i in $(seq 100); do
		"$HV" ctl "$1" vm >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# api_act SOCK ACTION, api_snap SOCK PATH: PUT /actions and PUT
# /snapshot/create through hv ctl on hv's socket, each reply on a line of its
# own (hv ctl starts in 0.2 s in a loaded test host VM, curl in about 4).
api_act() {
	"$HV" ctl "$1" "$2"
}
api_snap() {
	"$HV" ctl "$1" snapshot "$2"
}

# wait_for FILE PATTERN TENTHS PID: waits until FILE has a line matching the
# extended regex PATTERN, at most TENTHS tenths of a second, while PID lives.
# Bash builtins only: in the test host VM every program a test starts is
# read over 9p and run under TCG on its one CPU, so a loop of grep and sleep
# ten times a second took much of the CPU from the guest it waited for (a
# Linux boot took 30 s instead of 18).  The file is read on, from where the
# last look stopped; read -t on a FIFO nobody writes is the pause.
wait_for() {
	local pat=$2 i line part="" fd pause_fd pause=$TMP/.wait_for.fifo found=1
	[ -p "$pause" ] || mkfifo "$pause" || return 1
	exec {pause_fd}<>"$pause"
	for ((i = 0; i <= $3; i++)); do # FILE is made by PID's shell, which may not have run yet
		[ -e "$1" ] && exec {fd}<"$1" && break
		read -r -t 0.1 -u "$pause_fd"
	done
	[ -n "$fd" ] || { exec {pause_fd}>&-; return 1; }
	for (( ; i <= $3; i++)); do
		while IFS= read -r line <&"$fd"; do
			line=$part$line part=""
			[[ $line =~ $pat ]] && { found=0; break 2; }
		done
		part=$part$line # a line not ended yet: the rest comes with the next read
		[[ $part =~ $pat ]] && { found=0; break; }
		kill -0 "$4" 2>/dev/null || i=$3 # one more read: what it wrote last
		read -r -t 0.1 -u "$pause_fd"
	done
	exec {fd}<&- {pause_fd}>&-
	return $found
}

# lx_snapshot NAME LIMIT SNAP MARK HV-ARGS...: boots a Linux guest whose
# console input is a pipe this shell holds open, waits for MARK (the guest's
# init saying its shell is up), makes the shell answer once (so it sits at
# its prompt, reading the console), then pauses the VM, snapshots it to SNAP
# and shuts it down.  Files of disks the guest has are copied by the caller
# while the snapshot exists ($LX_SNAP_PAUSED runs while the VM is paused).
# Sets RC (hv's status: 0 after the shutdown); the API's replies are in
# $TMP/NAME.api, the guest's output in $TMP/NAME.out.  With $SNAP_NS set, hv
# runs in that network namespace (ip netns exec).
lx_snapshot() {
	local name=$1 limit=$2 snap=$3 mark=$4 sock=$TMP/$1.sock fifo=$TMP/$1.in pid
	shift 4
	rm -f "$fifo" && mkfifo "$fifo"
	timeout -k 5 "$limit" ${SNAP_NS:+ip netns exec "$SNAP_NS"} "$HV" run --api-sock "$sock" "$@" <"$fifo" >"$TMP/$name.out" \
		2>"$TMP/$name.err" &
	pid=$!
	exec 8>"$fifo" # the guest's console input: open until the VM has ended
	: >"$TMP/$name.api"
	if wait_for "$TMP/$name.out" "$mark" $((limit * 10)) $pid; then
		lx_time "$name"
		echo 'echo "@@ready $((6 * 7))"' >&8
		wait_for "$TMP/$name.out" '^@@ready 42' 300 $pid
		sleep 0.5 # the shell prints its prompt and reads again
		{
			api_act "$sock" pause
			api_snap "$sock" "$snap"
			[ -z "${LX_SNAP_PAUSED:-}" ] || eval "$LX_SNAP_PAUSED"
			api_act "$sock" shutdown
		} >>"$TMP/$name.api" 2>&1
		lx_time "$name-snapshot"
		echo "     snapshot RAM file: $(du -m --apparent-size "$snap.mem" | cut -f1) MiB," \
			"$(du -m "$snap.mem" | cut -f1) MiB of it written; $(grep -o '"create_ms":[0-9.]*' \
			"$TMP/$name.api")"
	else
		kill "$pid" 2>/dev/null
	fi
	wait "$pid"
	RC=$?
	lx_time "$name-exit"
	exec 8>&-
	rm -f "$fifo"
}

# lx_time LABEL: prints "     time LABEL N.N s", the wall time since the
# previous lx_time (or since this file was sourced), so a run's log says
# where a Linux feature spends its time (scripts/snapshot-linux-times.sh
# collects these lines).
# (EPOCHREALTIME: bash's own clock, no date(1) to start.)
LX_T0=${EPOCHREALTIME/./}
lx_time() {
	local now=${EPOCHREALTIME/./}
	printf '     time %s %d.%d s\n' "$1" $(((now - LX_T0) / 1000000)) $(((now - LX_T0) / 100000 % 10))
	LX_T0=$now
}
