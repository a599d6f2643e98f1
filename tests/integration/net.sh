# shellcheck shell=bash
# The network devices: bad options, then the PV and trap NICs on a tap inside
# a network namespace this file creates (10.0.0.1 the host's end, 10.0.0.2
# the guest; nothing leaves the namespace): ping both ways, HTTP, TCP and UDP
# echo, iperf, the loop backend, hostile rings, the tap set down and up
# mid-run (a ping, a TCP transfer), the tap deleted mid-run.
NS=hvnet$$
HOST=10.0.0.1
GUEST=10.0.0.2
GUEST_IP="ip=$GUEST/24 gw=$HOST"
NSX=(ip netns exec "$NS") # run, timeout: a command, not a function
in_ns() { "${NSX[@]}" "$@"; }
net_cleanup() { ip netns del "$NS" 2>/dev/null; }
trap 'net_cleanup; rm -rf "$TMP"' EXIT

# ---- options refused before the VM exists: one line, status 2 -----------------------
bad_net() { # NAME PATTERN ARGS...
	local name=$1 pat=$2
	shift 2
	run "$name" 10 "$@" "$KERNEL"
	expect "$name" 2 "$pat" err
	[ "$(wc -l <"$TMP/$name.err")" -eq 1 ] || fail "$name-one-line" "stderr has $(wc -l <"$TMP/$name.err") lines"
}
bad_net net-no-such-tap "tap:nosuch0: no such interface" "$HV" run --net tap:nosuch0
bad_net net-name-too-long "interface name 'averyveryverylongname' longer than 15 bytes" \
	"$HV" run --net tap:averyveryverylongname
bad_net net-bad-mac "'02:00:00:00:00' is not a unicast MAC address" "$HV" run --net loop,mac=02:00:00:00:00
bad_net net-multicast-mac "'01:00:5e:00:00:01' is not a unicast MAC address" \
	"$HV" run --trap-net loop,mac=01:00:5e:00:00:01
bad_net net-bad-backend "--net: 'eth0' is not tap:IFNAME or loop" "$HV" run --net eth0
bad_net net-too-many "--net: at most 4 \(pvnet0 to pvnet3\)" \
	"$HV" run --net loop --net loop --net loop --net loop --net loop

if ! ip netns add "$NS" 2>"$TMP/netns.err"; then
	fail net-namespace "cannot create a network namespace: $(head -1 "$TMP/netns.err")"
	return 0
fi
in_ns ip link set lo up
in_ns ip tuntap add tap0 mode tap
in_ns ip addr add "$HOST/24" dev tap0
in_ns ip link set tap0 up
in_ns ip tuntap add tun0 mode tun
bad_net net-not-a-tap "tap:tun0: not a tap interface" "${NSX[@]}" "$HV" run --net tap:tun0
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
[ "$(id -u)" = 0 ] || as_nobody=()
bad_net net-not-permitted "tap:tap0: not permitted" "${NSX[@]}" "${as_nobody[@]}" "$HV" run --net tap:tap0

# guest_bg NAME NET-OPTION GUEST-ARGS...: hv in the namespace, in the background,
# until the guest program says it is listening (or 60 s pass).
guest_bg() {
	local name=$1 opt=$2 i
	shift 2
	in_ns timeout -k 5 120 "$HV" run --stats --timeout 110 $opt "$KERNEL" -- $GUEST_IP "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" &
	BG=$!
	for i in $(seq 600); do
		grep -q "listening on" "$TMP/$name.out" && return 0
		kill -0 "$BG" 2>/dev/null || return 0
		sleep 0.1
	done
}
guest_wait() { wait "$BG"; RC=$?; }

bytes_check() { # FILE N: the httpd's /bytes/N body, byte i = i % 251
	python3 tests/integration/net-check.py bytes "$1" "$2"
}

tcp_echo() { # BYTES: sends random bytes to the guest's tcpecho and compares what comes back
	in_ns python3 tests/integration/net-check.py tcp-echo "$GUEST" "$1"
}

udp_echo() { # COUNT: datagrams of random size and content, each echoed intact
	in_ns python3 tests/integration/net-check.py udp-echo "$GUEST" "$1"
}

# ip=dhcp: busybox's DHCP server on the tap leases 10.0.0.50..59 with the
# host as router; the guest takes a lease, says so, and pings the router.
cat >"$TMP/udhcpd.conf" <<EOF
start 10.0.0.50
end 10.0.0.59
interface tap0
lease_file $TMP/udhcpd.leases
pidfile $TMP/udhcpd.pid
option subnet 255.255.255.0
option router $HOST
EOF
: >"$TMP/udhcpd.leases"
in_ns busybox udhcpd -f "$TMP/udhcpd.conf" >"$TMP/udhcpd.log" 2>&1 &
DHCPD=$!
for kind in pv trap; do
	[ $kind = pv ] && opt="--net tap:tap0" dev=pvnet0 || opt="--trap-net tap:tap0" dev=trapnet0
	run $kind-net-dhcp 90 "${NSX[@]}" "$HV" run --timeout 80 $opt "$KERNEL" -- ip=dhcp ping $HOST 2
	expect $kind-net-dhcp 0 "net: $dev 10\.0\.0\.5[0-9]/24 gw $HOST \(dhcp\)" out \
		"2 packets transmitted, 2 received" out
done
kill "$DHCPD" 2>/dev/null
wait "$DHCPD" 2>/dev/null

# The same checks on each NIC kind.
for kind in pv trap; do
	if [ $kind = pv ]; then opt="--net tap:tap0" dev=pvnet0 echo_bytes=$((10 << 20)); else
		opt="--trap-net tap:tap0" dev=trapnet0 echo_bytes=$((2 << 20)); fi

	run $kind-net-ping-host 90 "${NSX[@]}" "$HV" run --stats --timeout 80 $opt "$KERNEL" -- $GUEST_IP ping $HOST 3
	expect $kind-net-ping-host 0 "3 packets transmitted, 3 received" out "^64 bytes from $HOST: icmp_seq=" out \
		"$dev .*link up" err

	# The host pings the guest and fetches from its httpd: 3 connections.
	guest_bg $kind-net-httpd "$opt" httpd 80 --count 3
	in_ns busybox ping -c 3 -W 5 $GUEST >"$TMP/$kind-ping-guest.out" 2>&1 &&
		pass $kind-net-ping-guest || fail $kind-net-ping-guest "$(tail -2 "$TMP/$kind-ping-guest.out")"
	in_ns curl -sS -m 30 -o "$TMP/$kind-index.html" -w "%{http_code}" http://$GUEST/ >"$TMP/$kind-code" 2>&1
	in_ns curl -sS -m 60 -o "$TMP/$kind-bytes" http://$GUEST/bytes/1000000 2>>"$TMP/$kind-code"
	in_ns curl -sS -m 30 -o /dev/null -w "%{http_code}" http://$GUEST/nope >>"$TMP/$kind-code" 2>&1
	guest_wait
	expect $kind-net-httpd 0 "GET /bytes/1000000 HTTP/1.1\" 200 1000000 bytes" out "httpd: 3 connections" out
	[ "$(cat "$TMP/$kind-code")" = 200404 ] && pass $kind-net-http-codes ||
		fail $kind-net-http-codes "codes $(tr '\n' ' ' <"$TMP/$kind-code")"
	bytes_check "$TMP/$kind-bytes" 1000000 2>"$TMP/$kind-bytes.err" && pass $kind-net-http-bytes ||
		fail $kind-net-http-bytes "$(tail -1 "$TMP/$kind-bytes.err")"

	guest_bg $kind-net-tcpecho "$opt" tcpecho 7 --count 1
	tcp_echo $echo_bytes 2>"$TMP/$kind-tcp.err" && pass $kind-net-tcp-echo-$((echo_bytes >> 20))MB ||
		fail $kind-net-tcp-echo-$((echo_bytes >> 20))MB "$(tail -1 "$TMP/$kind-tcp.err")"
	guest_wait
	expect $kind-net-tcpecho 0 "tcpecho: 1 connections, $echo_bytes bytes echoed" out

	guest_bg $kind-net-udpecho "$opt" udpecho 7 --count 50
	udp_echo 50 2>"$TMP/$kind-udp.err" && pass $kind-net-udp-echo || fail $kind-net-udp-echo "$(tail -1 "$TMP/$kind-udp.err")"
	guest_wait
	expect $kind-net-udpecho 0 "udpecho: 50 datagrams" out

	guest_bg $kind-net-iperf "$opt" iperf --count 1
	in_ns timeout 60 iperf -c $GUEST -t 3 >"$TMP/$kind-iperf.out" 2>&1
	guest_wait
	expect $kind-net-iperf 0 "iperf: .* done" out
	check $kind-net-iperf-client "$TMP/$kind-iperf.out" "[0-9.]+ [KMG]?bits/sec"
done

# --stats per NIC: frames, bytes, drops, doorbells and interrupts.
check pv-net-stats "$TMP/pv-net-tcpecho.err" \
	"pvnet0 \(tap0\): link up; rx active, [1-9][0-9]* frames, [1-9][0-9]* bytes, [0-9]+ dropped, .* [1-9][0-9]* doorbells, [1-9][0-9]* interrupts" \
	"tx active, [1-9][0-9]* frames"
check trap-net-stats "$TMP/trap-net-tcpecho.err" "trapnet0 \(tap0\): link up; rx [1-9][0-9]* frames"

# The loop backend: every frame back intact; the PV NIC's interface alone.
run pv-net-loop 300 "$HV" run --stats --timeout 280 --net loop "$KERNEL" -- netloop pvnet0 100000
expect pv-net-loop 0 "netloop: pvnet0 100000 frames sent, 100000 back intact, 0 corrupt, 0 lost" out
run trap-net-loop 300 "$HV" run --stats --timeout 280 --trap-net loop "$KERNEL" -- netloop trapnet0 2000
expect trap-net-loop 0 "netloop: trapnet0 2000 frames sent, 2000 back intact, 0 corrupt, 0 lost" out

# Hostile rings and requests; then the NIC still works.
run pv-net-hostile 120 "$HV" run --stats --timeout 100 --net loop "$KERNEL" -- nethostile pvnet0 --loop
expect pv-net-hostile 0 "nethostile: 0 failures" out "pvnet0 (rx|tx): queue broken by the guest" err \
	"pvnet0 \(loop\): link up; rx active, [0-9]+ frames, [0-9]+ bytes, 2000 dropped" err
grep -q "FAIL" "$TMP/pv-net-hostile.out" && fail pv-net-hostile-lines "$(grep FAIL "$TMP/pv-net-hostile.out" | head -3)"

# ping_bg NAME KIND COUNT: the guest on tap0 (KIND pv or trap) pings the host
# COUNT times, 4 a second, in the background, until its second reply.
ping_bg() {
	local name=$1 opt="--net tap:tap0" i
	[ "$2" = trap ] && opt="--trap-net tap:tap0"
	in_ns timeout -k 5 120 "$HV" run --stats --timeout 110 $opt "$KERNEL" -- $GUEST_IP ping $HOST "$3" \
		--interval 250 >"$TMP/$name.out" 2>"$TMP/$name.err" &
	BG=$!
	for i in $(seq 300); do
		grep -q "icmp_seq=2 " "$TMP/$name.out" && break
		sleep 0.1
	done
}

# in_order FILE A B: a line matching A comes before a line matching B.
in_order() { awk -v a="$2" -v b="$3" '!sa && $0 ~ a { sa = NR } sa && $0 ~ b { ok = 1 } END { exit !ok }' "$1"; }

# flap_checks NAME DEV: hv followed tap0 down, then up (one line each, in that
# order, counted in --stats), and never took it for a deleted one.
flap_checks() {
	local name=$1 dev=$2
	check $name-hv "$TMP/$name.err" "$dev: tap0 link down" "$dev: tap0 link up" \
		"$dev \(tap0\): link up; .*1 link downs, 1 link ups"
	in_order "$TMP/$name.err" "$dev: tap0 link down" "$dev: tap0 link up" &&
		pass $name-hv-order || fail $name-hv-order "link up before link down: $(grep "$dev: tap0 link" "$TMP/$name.err" | tr '\n' '|')"
	grep -q "is gone" "$TMP/$name.err" &&
		fail $name-gone "a tap set down was taken for a deleted one: $(grep "is gone" "$TMP/$name.err")"
}

# The tap set down for 1.5 s while the guest pings, then up: hv follows it, the
# guest sees the link go down (its sends find no route: the PV NIC's glue
# reads HV_HC_DEV_INFO after a LINK_DOWN send, the trap NIC's driver gets
# ISR.LINK) and come back (the pings after it are answered; the host's own
# route to the tap comes back a moment after it is up: a few seconds are
# allowed).
for kind in pv trap; do
	[ $kind = pv ] && dev=pvnet0 || dev=trapnet0
	ping_bg $kind-net-tap-down $kind 40
	in_ns ip link set tap0 down
	sleep 1.5
	in_ns ip link set tap0 up
	guest_wait
	expect $kind-net-tap-down 0 "from $HOST: icmp_seq=(3[0-9]|40) " out "is the link down" out
	in_order "$TMP/$kind-net-tap-down.out" "is the link down" "from $HOST: icmp_seq=" &&
		pass $kind-net-tap-down-guest || fail $kind-net-tap-down-guest "no reply after the guest saw the link down"
	flap_checks $kind-net-tap-down $dev
done

# The tap set down for 2 s in the middle of a TCP transfer, then up: the
# connection lives through it and every byte comes back right, on the
# queues the guest had (hv's end never reattaches anything).
for kind in pv trap; do
	if [ $kind = pv ]; then opt="--net tap:tap0" dev=pvnet0 echo_bytes=$((10 << 20)); else
		opt="--trap-net tap:tap0" dev=trapnet0 echo_bytes=$((2 << 20)); fi
	guest_bg $kind-net-flap "$opt" tcpecho 7 --count 1
	in_ns python3 tests/integration/net-check.py tcp-echo-flap "$GUEST" $echo_bytes tap0 2 \
		2>"$TMP/$kind-flap.err" && pass "$kind-net-flap-bytes ($(tr '\n' ' ' <"$TMP/$kind-flap.err"))" ||
		fail $kind-net-flap-bytes "$(tail -2 "$TMP/$kind-flap.err" | tr '\n' '|')"
	guest_wait
	expect $kind-net-flap 0 "tcpecho: 1 connections, $echo_bytes bytes echoed" out
	flap_checks $kind-net-flap $dev
done

# The tap deleted while the guest pings: the link goes down, hv runs on.
for kind in pv trap; do
	in_ns ip link show tap0 >/dev/null 2>&1 || { in_ns ip tuntap add tap0 mode tap &&
		in_ns ip addr add "$HOST/24" dev tap0 && in_ns ip link set tap0 up; }
	ping_bg $kind-net-tap-gone $kind 30
	in_ns ip link del tap0
	guest_wait
	expect $kind-net-tap-gone 0 "tap0 is gone: link down" err "icmp_seq=30: cannot send: no route: is the link down" out \
		"[0-9]+ packets transmitted, [1-9][0-9]* received" out
done
net_cleanup
