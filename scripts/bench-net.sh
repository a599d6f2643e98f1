# shellcheck shell=bash
# Sourced by scripts/bench.sh: the network rows of make bench.  Every test
# stays inside network namespaces made here (addresses exist only in them):
#   guests:  namespace $NET_NS_G, tap0 10.0.0.1, the guest 10.0.0.2
#   native:  namespaces $NET_NS_A (10.1.0.1) and $NET_NS_B (10.1.0.2) over a
#            veth pair: the same tools between two stacks of this kernel.
# Workloads (each a row per path: native pv pv-poll trap):
#   tcp-h2g  iperf -c from the host side for NET_SECS s into the guest's
#            lwiperf server (native: A's client into B's server)
#   tcp-g2h  the guest's lwiperf client into the host's iperf server: lwIP
#            2.1's client always runs 10 s (native: B's client, -t 10)
#   udp-rr   net-rr: NET_RR round trips of 64 bytes, one at a time, into the
#            guest's udpecho (native: net-rr echo in B)
#   loop     netloop through --net loop / --trap-net loop, NET_LOOP frames of
#            random sizes with 64 in flight (no native row: no wire)
# Guest runs are wrapped in the guest's netcost, whose JSON gives frames,
# exits, interrupts and hv CPU over the workload alone; hv's --stats
# (doorbells per NIC) go to the run's .err.  Raw files: $RAW/net-PATH-WORKLOAD-REP.*
NET_NS_G=hvbg$$ NET_NS_A=hvba$$ NET_NS_B=hvbb$$
NET_HOST=10.0.0.1 NET_GUEST=10.0.0.2
NET_WORKLOADS="tcp-h2g tcp-g2h udp-rr loop"

ns() { # NS CMD...: CMD inside namespace NS
	local n=$1
	shift
	ip netns exec "$n" "$@"
}

net_cleanup() {
	local n
	for n in "$NET_NS_G" "$NET_NS_A" "$NET_NS_B"; do
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

# The three namespaces and their links; 1 and a message if any step fails.
net_setup() {
	trap net_cleanup EXIT
	ip netns add "$NET_NS_G" && ip netns add "$NET_NS_A" && ip netns add "$NET_NS_B" &&
		ns "$NET_NS_G" ip link set lo up &&
		ns "$NET_NS_G" ip tuntap add tap0 mode tap &&
		ns "$NET_NS_G" ip addr add "$NET_HOST/24" dev tap0 &&
		ns "$NET_NS_G" ip link set tap0 up &&
		ns "$NET_NS_A" ip link set lo up && ns "$NET_NS_B" ip link set lo up &&
		ns "$NET_NS_A" ip link add veth0 type veth peer name veth1 netns "$NET_NS_B" &&
		ns "$NET_NS_A" ip addr add 10.1.0.1/24 dev veth0 &&
		ns "$NET_NS_B" ip addr add 10.1.0.2/24 dev veth1 &&
		ns "$NET_NS_A" ip link set veth0 up && ns "$NET_NS_B" ip link set veth1 up && return 0
	echo "bench: cannot set up the network namespaces (root and ip netns needed)" >&2
	return 1
}

# wait_for FILE PATTERN PID: until FILE has PATTERN (true), PID ends or 60 s pass (false).
wait_for() {
	local i
	for i in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# guest_serves BASE NS SERVER-ARGS... :: CLIENT...: hv (args SERVER-ARGS)
# in NS in the background, its output this function's; once the guest
# listens, CLIENT in NS, its output to BASE.client; then hv's end.  Fails if
# either does.
guest_serves() {
	local base=$1 n=$2 args=() pid rc=0 crc=0
	shift 2
	while [ "$1" != :: ]; do args+=("$1"); shift; done
	shift
	ip netns exec "$n" "${args[@]}" & # $! is hv itself: a failed client's kill ends it
	pid=$!
	if wait_for "$base.out" "listening on" "$pid"; then
		ns "$n" timeout 120 "$@" >"$base.client" 2>&1 || crc=$?
	else
		crc=124
	fi
	[ "$crc" = 0 ] || { echo "bench: client '$*' failed: exit status $crc" >&2; kill "$pid" 2>/dev/null; }
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] && [ "$crc" = 0 ]
}

# host_serves BASE NS PORT SERVER... :: CLIENT...: SERVER in NS in the
# background (output BASE.server) until it listens on TCP or UDP PORT, then
# CLIENT in the foreground (its output this function's), then SERVER stopped.
host_serves() {
	local base=$1 n=$2 port=$3 srv=() pid rc=0 i
	shift 3
	while [ "$1" != :: ]; do srv+=("$1"); shift; done
	shift
	# Not through ns(): ip netns exec becomes SERVER, so $! is the server
	# itself, which the kill below must reach (killing a subshell left it
	# listening, and the next run's server could not bind).
	ip netns exec "$n" "${srv[@]}" >"$base.server" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		ns "$n" ss -ltnuH "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	ns "$n" timeout 120 "$@" || rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for i in $(seq 50); do # the port free again for the next run
		ns "$n" ss -ltnuH "sport = :$port" | grep -q . || break
		sleep 0.1
	done
	return "$rc"
}

# net_native REP: the veth baseline, every workload but loop.
net_native() {
	local rep=$1 base=$RAW/net-native
	attempt native tcp-h2g "$rep" "$base-tcp-h2g-$rep" host_serves "$base-tcp-h2g-$rep" \
		"$NET_NS_B" 5001 iperf -s :: iperf -c 10.1.0.2 -t "$NET_SECS" -y C
	attempt native tcp-g2h "$rep" "$base-tcp-g2h-$rep" host_serves "$base-tcp-g2h-$rep" \
		"$NET_NS_A" 5001 iperf -s :: iperf -c 10.1.0.1 -t 10 -y C
	attempt native udp-rr "$rep" "$base-udp-rr-$rep" host_serves "$base-udp-rr-$rep" \
		"$NET_NS_B" 7 "$B/net-rr" echo 7 :: "$B/net-rr" ping 10.1.0.2 7 --count "$NET_RR" --json
}

# net_guest PATH REP: pv (interrupts), pv-poll (the guest polls its NIC) or trap.
net_guest() {
	local path=$1 rep=$2 base=$RAW/net-$path opt=--net dev=pvnet0 params=() hv
	case $path in
	pv-poll) params=(poll=pvnet0) ;;
	trap) opt=--trap-net dev=trapnet0 ;;
	esac
	hv=("$HV" run --stats --mem 128M --timeout 100)
	local guest=("$KERNEL" -- "ip=$NET_GUEST/24" "gw=$NET_HOST" "${params[@]}" netcost)
	want="netcost-json: " attempt "$path" tcp-h2g "$rep" "$base-tcp-h2g-$rep" guest_serves \
		"$base-tcp-h2g-$rep" "$NET_NS_G" "${hv[@]}" $opt tap:tap0 "${guest[@]}" iperf --count 1 \
		:: iperf -c $NET_GUEST -t "$NET_SECS" -y C
	want="netcost-json: " attempt "$path" tcp-g2h "$rep" "$base-tcp-g2h-$rep" host_serves \
		"$base-tcp-g2h-$rep" "$NET_NS_G" 5001 iperf -s :: \
		"${hv[@]}" $opt tap:tap0 "${guest[@]}" iperf -c $NET_HOST
	want="netcost-json: " attempt "$path" udp-rr "$rep" "$base-udp-rr-$rep" guest_serves \
		"$base-udp-rr-$rep" "$NET_NS_G" "${hv[@]}" $opt tap:tap0 "${guest[@]}" udpecho 7 \
		--count "$NET_RR" :: "$B/net-rr" ping $NET_GUEST 7 --count "$NET_RR" --json
	local frames=$NET_LOOP
	[ "$path" = trap ] && frames=$NET_LOOP_TRAP # one frame at a time: the same seconds
	want="netcost-json: " attempt "$path" loop "$rep" "$base-loop-$rep" \
		"${hv[@]}" $opt loop "$KERNEL" -- "${params[@]}" netcost netloop $dev "$frames" --window 64
}
