# shellcheck shell=bash
# The control API (--api-sock, docs/API.md), on a real guest that pings an
# address no one answers on the loop NIC, a line on its console every
# 200 ms and idle in between: the socket's mode; GET /vm shows the
# configuration given; pause stops the guest (its console output and KVM's
# exit count stop moving) and resume goes on;
# metrics parse with the reference parser (Debian's python3-prometheus-client)
# and move; the documented errors; a slow client cut off and the next one
# served; hv ctl; shutdown ends hv with status 0 and removes the socket; the
# API thread's own seccomp filter.  Measured and printed, not asserted: how
# long after exec the socket answers, and exits per I/O with and without a
# 10 Hz scraper.

API_PY=tests/integration/api-client.py
# Debian's python3, where python3-prometheus-client is (PATH may name another).
DEB_PY=/usr/bin/python3
S=$TMP/api.sock

# api_curl NAME ARGS...: curl on the socket; body in $TMP/NAME.out, status in $TMP/NAME.code.
api_curl() {
	local name=$1
	shift
	curl -s -m 10 --unix-socket "$S" -o "$TMP/$name.out" -w '%{http_code}' "$@" >"$TMP/$name.code"
}

# api_status NAME CODE PATTERN: the status and the body of api_curl NAME.
api_status() {
	local got
	got=$(cat "$TMP/$1.code")
	if [ "$got" = "$2" ] && grep -Eq -- "$3" "$TMP/$1.out"; then
		pass "$1"
	else
		fail "$1" "status $got, want $2; body: $(head -c 300 "$TMP/$1.out")"
	fi
}

# progress NAME: the guest's console lines so far, KVM's exit count and the seconds
# paused from GET /metrics (awk: python's start-up is slow in the test host VM;
# the reference parser reads one full reply above).
progress() {
	local lines
	lines=$(grep -c "icmp_seq" "$TMP/api-hv.out")
	api_curl "$1" http://localhost/metrics
	awk -v l="$lines" '$1 == "kvm_vcpu_exits_total" { k = $2 }
		$1 == "hv_vcpu_paused_seconds_total" { p = $2 } END { print l, k, p }' "$TMP/$1.out"
}

umask 022 # the socket must be 0600 whatever the umask
( "$HV" run --timeout 900 --disk null:1M --trap-disk null:1M --net loop --mem 32M --io-poll 10 --api-sock "$S" "$KERNEL" -- \
	ip=10.99.0.2/24 ping 10.99.0.1 5000 --interval 200 \
	>"$TMP/api-hv.out" 2>"$TMP/api-hv.err"; echo $? >"$TMP/api-hv.status" ) &
api_sub=$!
for i in $(seq 100); do [ -S "$S" ] && break; sleep 0.1; done
if [ -S "$S" ] && [ "$(stat -c %a "$S")" = 600 ]; then pass api-socket-0600; else
	fail api-socket-0600 "$(ls -l "$S" 2>&1)"; fi

api_curl api-get-vm http://localhost/vm
api_status api-get-vm 200 '"state":"running"'
# It answered: the API thread has one filter, its own (made before the vCPU thread confines itself).
hv_pid=$(pgrep -P "$api_sub" -x hv)
for t in /proc/"$hv_pid"/task/*; do
	[ "$(cat "$t/comm" 2>/dev/null)" = hv-api ] && grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs):' "$t/status"
done >"$TMP/api-thread.status"
check api-thread-own-filter "$TMP/api-thread.status" '^Seccomp:[[:space:]]+2$' \
	'^Seccomp_filters:[[:space:]]+1$' '^NoNewPrivs:[[:space:]]+1$'

check api-get-vm-config "$TMP/api-get-vm.out" '"kernel":"build/guest-kernel.elf"' \
	'"cmdline":"ip=10.99.0.2/24 ping 10.99.0.1 5000 --interval 200"' '"mem_bytes":33554432' '"io_poll_us":10' \
	'"timeout_s":900' '"name":"pvblk0","kind":"pvblk","option":"--disk","arg":"null:1M"' \
	'"sandbox":\{"enabled":true' "\"api_sock\":\"$S\""

api_curl api-metrics http://localhost/metrics
# The families a reader relies on: the disk's counters and latency histogram
# (checked cumulative up to +Inf, equal to _count), each NIC queue's counters
# (through the counters hook), hv's clock for rates.
if "$DEB_PY" "$API_PY" metrics "$TMP/api-metrics.out" 'hv_device_requests_total{device=pvblk0}' \
	'hv_device_request_seconds_bucket{device=pvblk0,le=+Inf}' \
	'hv_device_request_seconds_count{device=pvblk0}' 'hv_device_request_seconds_sum{device=pvblk0}' \
	'hv_device_request_seconds_bucket{device=trapblk0,le=+Inf}' 'hv_device_request_seconds_count{device=trapblk0}' \
	'hv_device_rx_frames_total{device=pvnet0}' 'hv_device_tx_frames_total{device=pvnet0}' \
	'hv_device_rx_throttled_total{device=pvnet0}' 'hv_device_tx_doorbells_total{device=pvnet0}' \
	'hv_device_frame_seconds_count{device=pvnet0,direction=rx}' \
	'hv_device_frame_seconds_count{device=pvnet0,direction=tx}' \
	'hv_device_frame_seconds_bucket{device=pvnet0,direction=tx,le=+Inf}' \
	'hv_metrics_read_seconds' >"$TMP/api-metrics.parsed" 2>&1 &&
	! grep -q ' missing$' "$TMP/api-metrics.parsed"; then
	pass api-metrics-parse
	cat "$TMP/api-metrics.parsed"
elif grep -q "No module named 'prometheus_client'" "$TMP/api-metrics.parsed"; then
	skip api-metrics-parse # "no python3-prometheus-client for $DEB_PY (scripts/install-deps.sh)"
else
	fail api-metrics-parse "$(grep " missing$" "$TMP/api-metrics.parsed" | head -3) $(tail -3 "$TMP/api-metrics.parsed")"
fi
# With a control API the histograms are timed (hv/core/lathist.h: without
# one no request reads the clock): the ping's frames are in both directions'.
if grep -q '^families ' "$TMP/api-metrics.parsed"; then
	awk '$1 ~ /^hv_device_frame_seconds_count\{device=pvnet0,direction=(rx|tx)\}$/ && $2 > 0 { n++ }
		END { exit n != 2 }' "$TMP/api-metrics.parsed" && pass api-metrics-latency-timed ||
		fail api-metrics-latency-timed "$(grep frame_seconds_count "$TMP/api-metrics.parsed")"
else
	skip api-metrics-latency-timed # as api-metrics-parse
fi
read -r r1 k1 _ <<<"$(progress api-m1)"
sleep 1
read -r r2 k2 _ <<<"$(progress api-m2)"
echo "api: running: console lines $r1 -> $r2, KVM's exits $k1 -> $k2"
awk -v a="$r1" -v b="$r2" -v c="$k1" -v d="$k2" 'BEGIN { exit !(b > a && d > c) }' &&
	pass api-metrics-move || fail api-metrics-move "console lines $r1 -> $r2, KVM exits $k1 -> $k2"

api_curl api-pause -X PUT -d '{"action_type":"pause"}' http://localhost/actions
api_status api-pause 200 '"state":"paused"'
read -r r3 k3 _ <<<"$(progress api-m3)"
sleep 1.5
read -r r4 k4 _ <<<"$(progress api-m4)"
echo "api: paused 1.5 s: console lines $r3 -> $r4, KVM's exits $k3 -> $k4"
[ -n "$r3" ] && [ "$r3" = "$r4" ] && [ -n "$k3" ] && [ "$k3" = "$k4" ] && pass api-pause-stops-guest ||
	fail api-pause-stops-guest "console lines $r3 -> $r4, KVM exits $k3 -> $k4"
api_curl api-get-vm-paused http://localhost/vm
api_status api-get-vm-paused 200 '"state":"paused"'
api_curl api-pause-again -X PUT -d '{"action_type":"pause"}' http://localhost/actions
api_status api-pause-again 409 '^\{"error":"The VM is paused already."\}$'
api_curl api-resume -X PUT -d '{"action_type":"resume"}' http://localhost/actions
api_status api-resume 200 '"state":"running"'
sleep 1
read -r r5 _ p <<<"$(progress api-m5)"
echo "api: resumed 1 s: console lines $r4 -> $r5; paused $p s in all"
awk -v a="$r4" -v b="$r5" 'BEGIN { exit !(b > a) }' && pass api-resume-continues ||
	fail api-resume-continues "console lines $r4 -> $r5"
awk -v p="$p" 'BEGIN { exit !(p >= 1.4 && p < 120) }' && pass api-paused-seconds ||
	fail api-paused-seconds "hv_vcpu_paused_seconds_total $p"

api_curl api-resume-running -X PUT -d '{"action_type":"resume"}' http://localhost/actions
api_status api-resume-running 409 '^\{"error":"The VM is not paused."\}$'
api_curl api-bad-json -X PUT -d '{"action_type":' http://localhost/actions
api_status api-bad-json 400 '^\{"error":"[^"]+\."\}$'
api_curl api-bad-action -X PUT -d '{"action_type":"reboot"}' http://localhost/actions
api_status api-bad-action 400 '"error":"Unknown action_type'
api_curl api-404 http://localhost/nowhere
api_status api-404 404 '"error":'
api_curl api-405 -X DELETE http://localhost/vm
api_status api-405 405 '"error":'
api_curl api-chunked -X PUT -H 'Transfer-Encoding: chunked' -d '{"action_type":"pause"}' http://localhost/actions
api_status api-chunked 501 '"error":"Transfer codings'
head -c 20000 /dev/zero | tr '\0' ' ' >"$TMP/api-big.body"
api_curl api-413 -X PUT --data-binary @"$TMP/api-big.body" http://localhost/actions
api_status api-413 413 '"error":"The body is larger'

# A slow client is cut off at the deadline; the next one is served at once.
"$API_PY" slow "$S" >"$TMP/api-slow.out" 2>&1
read -r secs line <"$TMP/api-slow.out"
echo "api: slow client cut off after $secs s: $line"
awk -v s="$secs" 'BEGIN { exit !(s >= 1.9 && s < 5) }' && [[ $line == "HTTP/1.1 408 "* ]] &&
	pass api-slow-client-cut-off || fail api-slow-client-cut-off "$(cat "$TMP/api-slow.out")"
run api-ctl-vm 15 "$HV" ctl "$S" vm
expect api-ctl-vm 0 '"state":"running"' out
run api-ctl-metrics 15 "$HV" ctl "$S" metrics
expect api-ctl-metrics 0 '^# TYPE hv_exits_total counter$' out
# The NIC's frame histograms, parsed again seconds later: the guest's ARP
# requests (sent, and received back from the loop) made both counts grow.
frame_counts() { # FILE DEVICE: "RX TX" counts of its frame histograms, or the parser's complaint
	"$DEB_PY" "$API_PY" metrics "$1" "hv_device_frame_seconds_count{device=$2,direction=rx}" \
		"hv_device_frame_seconds_count{device=$2,direction=tx}" 2>&1 |
		awk '/^families / { ok = 1; next } ok { v[++n] = $2; next } { last = $0 }
			END { print ok ? v[1] " " v[2] : last }'
}
# frames_grew NAME BEFORE AFTER: each of AFTER's two counts is a number above BEFORE's.
frames_grew() {
	if [[ $2 == *prometheus_client* ]]; then
		skip "$1" # "no python3-prometheus-client for $DEB_PY (scripts/install-deps.sh)"
	elif awk -v a="$2" -v b="$3" 'BEGIN { if (split(a " " b, v, " ") != 4) exit 1
		for (i = 1; i <= 4; i++) if (v[i] !~ /^[0-9.]+$/) exit 1
		exit !(v[3] + 0 > v[1] + 0 && v[4] + 0 > v[2] + 0) }'; then
		pass "$1"
	else
		fail "$1" "rx tx counts '$2' -> '$3'"
	fi
}
c1=$(frame_counts "$TMP/api-metrics.out" pvnet0)
c2=$(frame_counts "$TMP/api-ctl-metrics.out" pvnet0)
echo "api: pvnet0 frame histograms' counts (rx tx): $c1 -> $c2"
frames_grew api-metrics-pvnet-frames "$c1" "$c2"
run api-ctl-resume 15 "$HV" ctl "$S" resume
expect api-ctl-resume 1 '^\{"error":"The VM is not paused."\}$' out
run api-ctl-pause 15 "$HV" ctl "$S" pause
expect api-ctl-pause 0 '"state":"paused"' out
# Shutdown from paused: hv ends with status 0 and removes its socket.
run api-ctl-shutdown 15 "$HV" ctl "$S" shutdown
expect api-ctl-shutdown 0 '"state":"exiting"' out
for i in $(seq 100); do [ -s "$TMP/api-hv.status" ] && break; sleep 0.1; done
st=$(cat "$TMP/api-hv.status" 2>/dev/null)
[ "$st" = 0 ] && pass api-shutdown-status-0 || fail api-shutdown-status-0 "status '$st'" \
	"$(head -c 400 "$TMP/api-hv.err")"
[ ! -e "$S" ] && pass api-socket-removed || fail api-socket-removed "$(ls -l "$S")"
run api-ctl-gone 15 "$HV" ctl "$S" vm
expect api-ctl-gone 3 'cannot connect' err

# The trap NIC's frame histograms: netloop's frames (the loop sends each back) make
# both directions' counts grow between two scrapes a second apart.
TS=$TMP/api-tn.sock
( "$HV" run --timeout 120 --trap-net loop --api-sock "$TS" "$KERNEL" -- netloop trapnet0 100000000 \
	>"$TMP/api-tn.out" 2>&1 ) &
tn_sub=$!
for i in $(seq 100); do [ -S "$TS" ] && break; sleep 0.1; done
sleep 1 # past the boot: netloop runs
curl -s -m 10 --unix-socket "$TS" -o "$TMP/api-tn-1.out" http://localhost/metrics
sleep 1
curl -s -m 10 --unix-socket "$TS" -o "$TMP/api-tn-2.out" http://localhost/metrics
"$HV" ctl "$TS" shutdown >/dev/null 2>&1
wait "$tn_sub"
c1=$(frame_counts "$TMP/api-tn-1.out" trapnet0)
c2=$(frame_counts "$TMP/api-tn-2.out" trapnet0)
echo "api: trapnet0 frame histograms' counts (rx tx): $c1 -> $c2"
frames_grew api-metrics-trapnet-frames "$c1" "$c2"

# The socket path: not a socket is refused (status 2), and left alone.
: >"$TMP/api-file"
run api-not-a-socket 15 "$HV" run --api-sock "$TMP/api-file" "$KERNEL" -- hello
expect api-not-a-socket 2 'exists and is not a socket' err
[ -f "$TMP/api-file" ] && pass api-not-a-socket-kept || fail api-not-a-socket-kept "gone"

# The API thread's own filter: a forbidden call there stops hv and says which thread.
HV_SANDBOX_PROBE=api run api-sandbox-probe 30 "$HV" run --timeout 20 --api-sock "$TMP/probe.sock" \
	"$KERNEL" -- spin
expect api-sandbox-probe 159 \
	"^hv: sandbox: forbidden system call 257 \(openat\) in the API thread; hv stops$" err
HV_SANDBOX_PROBE=api run api-sandbox-probe-off 30 "$HV" run --no-sandbox --api-sock "$TMP/probe.sock" \
	"$KERNEL" -- hello
expect api-sandbox-probe-off 0 "probe: openat in the API thread succeeded \(no sandbox\)" err

# Measured, not asserted: exec to the first answer on the socket.
for i in 1 2 3; do
	"$API_PY" startup "$TMP/up.sock" -- "$HV" run --timeout 20 --api-sock "$TMP/up.sock" "$KERNEL" -- spin \
		>"$TMP/api-up.out"
	ms=$(sed -n 1p "$TMP/api-up.out")
	pid=$(sed -n 2p "$TMP/api-up.out")
	"$HV" ctl "$TMP/up.sock" shutdown >/dev/null 2>&1
	for j in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	echo "api: measured: exec to the first answer of GET /vm: $ms ms (run $i)"
done

# Measured, not asserted: exits per I/O of blkbench with and without a 10 Hz scraper.
for mode in alone scraped; do
	rm -f "$TMP/bench.sock"
	# The scraper first: it waits for the socket, so it scrapes from hv's first moment.
	if [ $mode = scraped ]; then
		"$API_PY" scrape "$TMP/bench.sock" 10 120 "$TMP/api-scraper-up" >"$TMP/api-scrapes" 2>&1 &
		for _ in $(seq 600); do [ -e "$TMP/api-scraper-up" ] && break; sleep 0.1; done
	fi
	"$HV" run --timeout 100 --disk null:64M --api-sock "$TMP/bench.sock" "$KERNEL" -- \
		blkbench pvblk0 --time 8 --json randread-4k-qd1 >"$TMP/api-bench-$mode.out" 2>&1
	wait
	echo "api: measured: blkbench randread-4k-qd1 $mode$([ $mode = scraped ] && echo " ($(cat "$TMP/api-scrapes"))"):" \
		"$(grep -o '"iops":[0-9.]*\|"exits_per_io":[0-9.]*\|"hv_exits_per_io":[0-9.]*' \
			"$TMP/api-bench-$mode.out" | tr '\n' ' ')"
done
