# shellcheck shell=bash
# hv_pv.ko survives lost interrupts (sourced by linux-pv.sh, after its own
# runs, with its snapshot, namespace and tap): the Linux guest restored
# once more, its disks fresh images of the snapshot's sizes and hvblk2 under
# hv's `--fault pvblk2:irq-lost@nN` rules (docs/FAULTS.md, "Linux").
#   - disk: 4 KiB direct writes and reads at depth 1 (one interrupt each, so
#     the lost ones fall where the rules say: a write, a read), then fio
#     --verify at depth 16 (the third); io_timeout 1 s.  One read is 3 s
#     late: its timeout finds no completion and waits again.  The bytes are
#     checked in the guest and from the image on the host, and each lost
#     interrupt is one "completion found without an interrupt" (blk-mq's
#     timeout reaped the ring and re-armed its event index), no error.
#   - NIC: hv has no interrupt rule for a NIC, so the guest masks its RX and
#     TX MSI-X entries itself (devmem on BAR 0's table, PROTOCOL.md section
#     17): no interrupt reaches the driver.  With the driver's look every
#     250 ms, ping and an HTTP fetch from the host (bytes checked) still
#     work; with the look off and a ping flood filling the TX ring, the
#     stack's TX watchdog fires and hvn_tx_timeout recovers the queue.
# The guest's script rides on the read-only disk (the snapshot's /tests is
# fixed): the console gets one line that reads it back and runs it.
LPF_RULES=pvblk2:irq-lost@n3,irq-lost@n150,irq-lost@n280,delay=3s@n200
cat >"$TMP/lpf-guest.sh" <<'SH'
echo 3 >/proc/sys/vm/drop_caches
# ---- the disk: hvblk2 loses its 3rd, 150th and 280th interrupts ----
echo 1000 >/sys/block/hvblk2/queue/io_timeout
found() { dmesg | grep -c 'hvblk2: queue 0: .*completion found without an interrupt'; }
t0=$(cut -d. -f1 /proc/uptime)
head -c 524288 /dev/urandom >/tmp/data
echo "@@data $(sha256sum </tmp/data | cut -c1-64)"
# 128 writes and a flush: interrupts 1-129; 128 reads: 130-257; fio from 258.
dd if=/tmp/data of=/dev/hvblk2 bs=4k oflag=direct conv=fsync 2>/tmp/dd.err
echo "@@dd-write rc=$? found $(found)"
echo "@@dd-read $(dd if=/dev/hvblk2 bs=4k count=128 iflag=direct 2>/dev/null | sha256sum | cut -c1-64) found $(found)"
fio --name=lost --filename=/dev/hvblk2 --offset=1M --size=1M --direct=1 --ioengine=libaio \
	--rw=randwrite --bs=4k --iodepth=16 --verify=crc32c --verify_fatal=1 --do_verify=1 \
	--randrepeat=0 --output=/tmp/fio.txt >/dev/null 2>&1
echo "@@fio rc=$? $(grep -o 'err= *[0-9]*' /tmp/fio.txt | head -1 | tr -d ' ') found $(found)"
echo "@@disk-seconds $(($(cut -d. -f1 /proc/uptime) - t0))"
echo "@@disk-waited $(dmesg | grep -c 'hvblk2: queue 0: .*no completion after 1 s, waiting again (1 of 6)')"
echo "@@disk-errors $(dmesg | grep -c -e 'hvblk.*broken' -e 'I/O error' -e 'hv status')"
dmesg | grep hvblk2 | tail -5 | sed 's/^/@@dmesg /'
# ---- the NIC: its RX and TX MSI-X entries masked by the guest ----
ip link set lo up && ip addr add 10.0.0.2/24 dev eth0 && ip link set eth0 up
i=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ping -c 1 -W 3 10.0.0.1 >/dev/null 2>&1
bar=$(head -1 /sys/class/net/eth0/device/resource | cut -d' ' -f1)
vctl() { printf "0x%x" $((bar + 16 * $1 + 12)); }
devmem "$(vctl 0)" 32 1 && devmem "$(vctl 1)" 32 1
echo "@@masked $(devmem "$(vctl 0)" 32) $(devmem "$(vctl 1)" 32)"
p=/sys/module/hv_pv/parameters/net_poll_ms
echo 250 >$p
ping -c 3 -w 15 10.0.0.1 >/tmp/ping.txt 2>&1
echo "@@masked-ping rc=$? $(grep -c 'bytes from 10.0.0.1' /tmp/ping.txt)"
mkdir -p /www && head -c 200000 /dev/urandom >/www/blob
echo "@@blob $(sha256sum </www/blob | cut -c1-64)"
httpd -p 80 -h /www
echo "@@net-ready"
timeout 120 nc -l -p 5000 >/tmp/go.txt # the host's "go" (a broken driver never gets it)
net_found=$(dmesg | grep -c 'eth0: completion found without an interrupt')
echo "@@net-found $net_found"
# The TX watchdog alone: no look, the TX ring filled by a ping flood.
echo 0 >$p
q=/sys/class/net/eth0/queues/tx-0/tx_timeout
before=$(cat $q)
ping -q -i 0.002 -c 400 -w 60 10.0.0.1 >/dev/null 2>&1 &
pp=$!
i=0
t0=$(cut -d. -f1 /proc/uptime)
while [ "$(cat $q)" = "$before" ] && [ $i -lt 250 ]; do sleep 0.1; i=$((i + 1)); done
echo "@@tx-timeouts $(($(cat $q) - before)) after $(($(cut -d. -f1 /proc/uptime) - t0)) s"
kill $pp 2>/dev/null
wait $pp 2>/dev/null
echo "@@tx-timeout-said $(dmesg | grep -c 'eth0: TX timeout: [0-9]* completions found without an interrupt')"
echo 1000 >$p
devmem "$(vctl 0)" 32 0 && devmem "$(vctl 1)" 32 0
ping -c 3 -W 2 10.0.0.1 >/tmp/ping2.txt 2>&1
echo "@@unmasked-ping rc=$? $(grep -c 'bytes from 10.0.0.1' /tmp/ping2.txt)"
dmesg | grep -e 'eth0' -e WATCHDOG | tail -6 | sed 's/^/@@dmesg /'
echo "@@end"
SH
# The disks: 64M, 8M read-only (the script, NUL-padded), 64M (the faults').
truncate -s 64M "$TMP/lpf-0.img" "$TMP/lpf-2.img"
truncate -s 8M "$TMP/lpf-1.img"
dd if="$TMP/lpf-guest.sh" of="$TMP/lpf-1.img" conv=notrunc status=none
printf '%s\n' "dd if=/dev/hvblk1 bs=64k count=1 iflag=direct 2>/dev/null | tr -d '\\000' >/tmp/f.sh; . /tmp/f.sh </dev/null" \
	'poweroff -f' >"$TMP/lpf.in"
lpf_t0=$(date +%s)
"${LX[@]}" timeout -k 5 300 "$HV" run --fault-seed 1 --fault "$LPF_RULES" --disk "$TMP/lpf-0.img" \
	--disk "$TMP/lpf-1.img,ro" --disk "$TMP/lpf-2.img" --net tap:tap0 --restore "$LP_SNAP" \
	<"$TMP/lpf.in" >"$TMP/linux-pv-faults.out" 2>"$TMP/linux-pv-faults.err" &
lpf_hv=$!
if wait_for "$TMP/linux-pv-faults.out" '^@@net-ready' 2400 $lpf_hv; then
	"${LX[@]}" timeout 60 curl -s -o "$TMP/lpf-blob" "http://$LP_GUEST/blob"
	[ -s "$TMP/lpf-blob" ] && [ "$(sha "$TMP/lpf-blob")" = "$(lp_val linux-pv-faults blob)" ] &&
		pass linux-pv-faults-net-bytes ||
		fail linux-pv-faults-net-bytes "curl's body is not the guest's /www/blob (interrupts masked)"
	"${LX[@]}" timeout 10 bash -c "echo go >/dev/tcp/$LP_GUEST/5000"
else
	fail linux-pv-faults-net-ready "the guest never said @@net-ready"
fi
wait $lpf_hv
RC=$?
echo "     lost-interrupt run: $(($(date +%s) - lpf_t0)) s, the disk part $(lp_val linux-pv-faults disk-seconds) s of the guest's clock"
expect linux-pv-faults 0 '@@end' out 'fault injection on, seed 1 ' err
# The disk: the bytes, one recovery per lost interrupt, no error.
data=$(lp_val linux-pv-faults data)
img=$(head -c 524288 "$TMP/lpf-2.img" | sha256sum | cut -c1-64)
[ -n "$data" ] && [ "$data" = "$img" ] && pass linux-pv-faults-disk-image ||
	fail linux-pv-faults-disk-image "the guest wrote '$data', the image holds '$img'"
lp_is linux-pv-faults disk-write dd-write "rc=0 found 1"
lp_is linux-pv-faults disk-read dd-read "$data found 2"
lp_is linux-pv-faults disk-fio-qd16 fio "rc=0 err=0 found 3"
lp_is linux-pv-faults disk-no-error disk-errors 0
# (at least: a request of a loaded test host VM may itself take over 1 s)
waited=$(lp_val linux-pv-faults disk-waited)
[ "${waited:-0}" -ge 1 ] 2>/dev/null && pass linux-pv-faults-disk-late-waits ||
	fail linux-pv-faults-disk-late-waits "the 3 s late read never waited again ('$waited')"
# The NIC.
lp_is linux-pv-faults net-masked masked "0x00000001 0x00000001"
lp_is linux-pv-faults net-masked-ping masked-ping "rc=0 3"
found=$(lp_val linux-pv-faults net-found)
[ "${found:-0}" -ge 1 ] 2>/dev/null && pass linux-pv-faults-net-look ||
	fail linux-pv-faults-net-look "no 'completion found without an interrupt' from eth0 ('$found')"
check linux-pv-faults-tx-watchdog "$TMP/linux-pv-faults.out" '^@@tx-timeouts [1-9]' \
	'^@@tx-timeout-said [1-9]'
lp_is linux-pv-faults net-unmasked-ping unmasked-ping "rc=0 3"
