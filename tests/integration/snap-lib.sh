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
wait_for() {
	local i
	for i in $(seq "$3"); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || break
		sleep 0.1
	done
	grep -Eq -- "$2" "$1" 2>/dev/null
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
		echo 'echo "@@ready $((6 * 7))"' >&8
		wait_for "$TMP/$name.out" '^@@ready 42' 300 $pid
		sleep 0.5 # the shell prints its prompt and reads again
		{
			api_act "$sock" pause
			api_snap "$sock" "$snap"
			[ -z "${LX_SNAP_PAUSED:-}" ] || eval "$LX_SNAP_PAUSED"
			api_act "$sock" shutdown
		} >>"$TMP/$name.api" 2>&1
	else
		kill "$pid" 2>/dev/null
	fi
	wait "$pid"
	RC=$?
	exec 8>&-
	rm -f "$fifo"
}
