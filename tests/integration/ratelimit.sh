# shellcheck shell=bash
# Rate limits (issue 21) on a running guest's PV disk, changed through the
# control API: an ops/s and then a bytes/s limit each slow blkbench to
# within a generous bound of the setting (the rate over 3 s after the burst
# between 0.5x and 1.5x: a functional check, not a benchmark), and removing
# the limit restores the speed.  Rates come from GET /metrics' request and
# byte counters; GET /rate-limits shows the refusals.

RS=$TMP/ratelimit.sock

rl_curl() { curl -s -m 10 --unix-socket "$RS" "$@"; }

# rl_counters: "requests bytes" of pvblk0 now.
rl_counters() {
	rl_curl http://localhost/metrics | awk '
		/^hv_device_requests_total\{device="pvblk0"\}/ { r = $2 }
		/^hv_device_bytes_total\{device="pvblk0"\}/ { b = $2 }
		END { printf "%.0f %.0f\n", r, b }'
}

# rl_rate SECONDS: "requests/s bytes/s" of pvblk0 over the next SECONDS.
rl_rate() {
	local r0 b0 r1 b1 t0 t1
	read -r r0 b0 <<<"$(rl_counters)"
	t0=$(date +%s.%N)
	sleep "$1"
	read -r r1 b1 <<<"$(rl_counters)"
	t1=$(date +%s.%N)
	awk -v r="$((r1 - r0))" -v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%.0f %.0f\n", r / (t1 - t0), b / (t1 - t0) }'
}

# rl_put NAME BODY: PUT /rate-limits/pvblk0 BODY, status 200 asserted.
rl_put() {
	local code
	code=$(rl_curl -o "$TMP/$1.out" -w '%{http_code}' -X PUT -d "$2" http://localhost/rate-limits/pvblk0)
	if [ "$code" = 200 ]; then pass "$1"; else fail "$1" "status $code: $(cat "$TMP/$1.out")"; fi
}

# rl_within NAME GOT SETTING: 0.5 x SETTING < GOT < 1.5 x SETTING.
rl_within() {
	if awk -v g="$2" -v s="$3" 'BEGIN { exit !(g > 0.5 * s && g < 1.5 * s) }'; then
		pass "$1"
	else
		fail "$1" "achieved $2/s with a limit of $3/s"
	fi
	echo "ratelimit: $1: achieved $2/s, limit $3/s"
}

rm -f "$RS"
( "$HV" run --timeout 120 --disk null:64M --mem 64M --api-sock "$RS" "$KERNEL" -- \
	blkbench pvblk0 --time 3600 randread-4k-qd32 >"$TMP/rl-hv.out" 2>"$TMP/rl-hv.err"
	echo $? >"$TMP/rl-hv.status" ) &
for i in $(seq 100); do [ -S "$RS" ] && break; sleep 0.1; done
sleep 4 # blkbench under way (its --time is guest time: hv is shut down through the API)
read -r base_ops base_bytes <<<"$(rl_rate 3)"
echo "ratelimit: unlimited: $base_ops requests/s, $base_bytes bytes/s"
if [ "${base_ops:-0}" -lt 40 ]; then
	fail ratelimit-baseline "blkbench did $base_ops requests/s: too few to limit ($(tail -3 "$TMP/rl-hv.err"))"
else
	lim_ops=$((base_ops / 3))
	rl_put ratelimit-put-ops "{\"ops_per_s\": $lim_ops}"
	sleep 1.5 # the burst (one second's worth) is spent
	read -r ops _ <<<"$(rl_rate 3)"
	rl_within ratelimit-ops "$ops" "$lim_ops"
	lim_bytes=$((base_bytes / 4))
	rl_put ratelimit-put-bytes "{\"bytes_per_s\": $lim_bytes, \"bytes_burst\": $((lim_bytes / 4))}"
	sleep 1
	read -r _ bytes <<<"$(rl_rate 3)"
	rl_within ratelimit-bytes "$bytes" "$lim_bytes"
	rl_curl http://localhost/rate-limits >"$TMP/rl-get.out"
	check ratelimit-get "$TMP/rl-get.out" "\"pvblk0\":\\{\"bytes_per_s\":$lim_bytes,\"ops_per_s\":0" \
		'"throttled":[1-9]'
	rl_curl http://localhost/metrics >"$TMP/rl-metrics.out"
	check ratelimit-metrics "$TMP/rl-metrics.out" \
		'^hv_device_throttled_total\{device="pvblk0"\} [1-9]' \
		'^hv_device_throttled_us_total\{device="pvblk0"\} [1-9]'
	rl_put ratelimit-put-off '{}'
	read -r ops _ <<<"$(rl_rate 3)"
	echo "ratelimit: limit removed: $ops requests/s (unlimited before: $base_ops)"
	if [ "$ops" -gt $((lim_ops * 2)) ]; then pass ratelimit-restored; else
		fail ratelimit-restored "$ops requests/s after the limit was removed, $base_ops before"; fi
	code=$(rl_curl -o /dev/null -w '%{http_code}' -X PUT -d '{}' http://localhost/rate-limits/pvblk7)
	[ "$code" = 404 ] && pass ratelimit-404 || fail ratelimit-404 "status $code"
	code=$(rl_curl -o /dev/null -w '%{http_code}' -X PUT -d '{"ops_per_s": -1}' \
		http://localhost/rate-limits/pvblk0)
	[ "$code" = 400 ] && pass ratelimit-400 || fail ratelimit-400 "status $code"
fi
rl_curl -X PUT -d '{"action_type": "shutdown"}' http://localhost/actions >/dev/null
wait
if [ "$(cat "$TMP/rl-hv.status")" = 0 ]; then pass ratelimit-hv-status; else
	fail ratelimit-hv-status "hv ended with $(cat "$TMP/rl-hv.status"): $(tail -5 "$TMP/rl-hv.err" "$TMP/rl-hv.out")"; fi
