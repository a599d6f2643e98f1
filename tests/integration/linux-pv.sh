# shellcheck shell=bash
# hv's Linux PV drivers (sourced by run.sh): hv_pv.ko (pv-drivers/linux/) in
# the peer guest's initramfs (build/peers/, the one hv-linux and qemu-virtio
# boot) under Debian's kernel (build/testvm/vmlinux).  Each boot gets that
# initramfs with a second archive appended whose /init loads every module and
# runs a /test.sh of this file's; answers are "@@" lines computed in the guest.
#   - under QEMU (no hv CPUID signature): hv_pv loads, finds no device, one line
#   - on hv: rmmod/insmod while idle, a read-only disk, fio --verify over the
#     raw disk at depth 1 and 32, ext4 made, written, synced, the guest reset
#     without unmounting, a second hv run checks it (fsck.ext4 -n, SHA-256 in
#     the guest and from the image on the host); the NIC in a namespace this
#     file creates: ping both ways, iperf both ways, busybox httpd fetched
#     with curl, ip -s link counters, the tap set down and up.
# On hv the guest boots once, with its disks and NIC, to a shell on its
# console, and is snapshotted there (docs/SNAPSHOT.md); both runs of the
# tests restore that snapshot (each after a copy of the images as they were
# then, but for the file system run 2 checks) and feed the shell one line that runs
# a script the initramfs carries, instead of booting again.
. tests/integration/snap-lib.sh
LP_VMLINUX=build/testvm/vmlinux
LP_INITRD=build/peers/initramfs.cpio.gz
LP_ARGS="console=ttyS0 panic=-1 rootfstype=ramfs loglevel=${LP_LOGLEVEL:-4}" # 7: every kernel message
LP_EXT4="crc32c_generic jbd2 mbcache crc16 ext4"
LP_NS=hvlxpv$$
LP_HOST=10.0.0.1
LP_GUEST=10.0.0.2
lp_cleanup() { ip netns del "$LP_NS" 2>/dev/null; [ -n "${LP_IPERF:-}" ] && kill "$LP_IPERF" 2>/dev/null; true; }
trap 'lp_cleanup; rm -rf "$TMP"' EXIT

# lp_initrd NAME MODULE...: $TMP/NAME.cpio.gz, the peer initramfs with /init
# and /test.sh (standard input) appended (and the folder $LP_TESTS as
# /tests, if set): the kernel unpacks both, the later wins.  /init loads
# only the MODULEs (of /modules/order: the rest is the
# bench's virtio, AHCI and e1000, seconds of a slow boot for nothing here).
lp_initrd() {
	local name=$1 d=$TMP/$1.root
	shift
	rm -rf "$d" && mkdir -p "$d"
	printf '%s\n' "$@" >"$d/load"
	cat >"$d/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp /mnt
exec </dev/console >/dev/console 2>&1
for m in $(cat /modules/order); do
	grep -qx "${m%.ko}" /load || continue
	insmod "/modules/$m" 2>/tmp/insmod.err || echo "@@insmod-failed $m: $(cat /tmp/insmod.err)"
done
echo "@@up"
. /test.sh
echo "@@end"
poweroff -f
INIT
	cat >"$d/test.sh"
	chmod 755 "$d/init"
	[ -z "${LP_TESTS:-}" ] || cp -r "$LP_TESTS" "$d/tests"
	{
		cat "$LP_INITRD"
		(cd "$d" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null | gzip -1)
	} >"$TMP/$name.cpio.gz"
}

# lp_val NAME KEY: the value of the guest's "@@KEY value" line in NAME's output.
lp_val() { sed -n "s/^@@$2 \(.*\)\r*\$/\1/p" "$TMP/$1.out" | tr -d '\r' | tail -1; }

# lp_is NAME CHECK KEY WANT: passes NAME-CHECK if @@KEY is WANT.
lp_is() {
	local got
	got=$(lp_val "$1" "$3")
	[ "$got" = "$4" ] && pass "$1-$2" || fail "$1-$2" "@@$3 is '$got', want '$4'"
}

for f in "$LP_VMLINUX" "$LP_INITRD" build/linux/modules/hv_pv.ko; do
	[ -s "$f" ] || { fail linux-pv-images "$f missing: make modules peers"; return 0 2>/dev/null || exit 1; }
done

# ---- QEMU, another hypervisor: the module loads, finds nothing, says so once ----
lp_initrd qemu hv_pv <<'SH'
grep -q '^hv_pv ' /proc/modules && echo "@@loaded y$((1))"
echo "@@said $(dmesg | grep -c 'hv_pv: no hv CPUID signature')"
echo "@@hvblk $(ls /sys/class/block | grep -c hvblk)"
echo "@@drivers $(ls /sys/bus/pci/drivers | grep -c '^hv_')"
rmmod hv_pv && echo "@@rmmod y$((1))"
SH
accel="-accel tcg"
have_kvm && accel="-accel kvm -cpu host"
# shellcheck disable=SC2086
run linux-pv-qemu 170 qemu-system-x86_64 $accel -m 512 -display none -serial stdio -monitor none \
	-no-reboot -nic none -kernel "$LP_VMLINUX" -initrd "$TMP/qemu.cpio.gz" -append "$LP_ARGS quiet" </dev/null
lx_time qemu
expect linux-pv-qemu 0 '@@up' out '@@end' out
check linux-pv-qemu-no-device "$TMP/linux-pv-qemu.out" '@@loaded y1' '@@hvblk 0' '@@drivers 0' '@@rmmod y1'
lp_is linux-pv-qemu one-line said 1

# ---- on hv: the disk and the NIC ------------------------------------------------
if ! ip netns add "$LP_NS" 2>"$TMP/lp-netns.err"; then
	fail linux-pv-namespace "cannot create a network namespace: $(head -1 "$TMP/lp-netns.err")"
	return 0 2>/dev/null || exit 1
fi
LX=(ip netns exec "$LP_NS")
"${LX[@]}" ip link set lo up
"${LX[@]}" ip tuntap add tap0 mode tap
"${LX[@]}" ip addr add "$LP_HOST/24" dev tap0
"${LX[@]}" ip link set tap0 up
"${LX[@]}" iperf -s >"$TMP/lp-iperf-s.txt" 2>&1 &
LP_IPERF=$!
truncate -s 64M "$TMP/lp-fs.img"
truncate -s 64M "$TMP/lp-fio.img"
head -c $((8 << 20)) /dev/urandom >"$TMP/lp-ro.img"
ro_sha=$(sha "$TMP/lp-ro.img")
lx_time namespace+images

# Run 1: hvblk0 ext4, hvblk1 read-only, hvblk2 raw for fio; eth0 on tap0.
LP_TESTS=$TMP/lp-tests
mkdir -p "$LP_TESTS"
cat >"$LP_TESTS/hv-a.sh" <<'SH'
echo "@@disks $(ls /sys/class/block | grep hvblk | tr '\n' ' ')"
# Unloading and reloading while idle: queues detached, attached anew.
h1=$(dd if=/dev/hvblk1 bs=64k count=32 2>/dev/null | sha256sum | cut -c1-64)
rmmod hv_pv && echo "@@rmmod ok"
echo "@@after-rmmod $(ls /sys/class/block | grep -c hvblk) $(ls /sys/class/net | grep -c eth)"
insmod /modules/hv_pv.ko && echo "@@insmod ok"
h2=$(dd if=/dev/hvblk1 bs=64k count=32 2>/dev/null | sha256sum | cut -c1-64)
[ -n "$h1" ] && [ "$h1" = "$h2" ] && echo "@@reload-read same"
echo "@@reload-errors $(dmesg | grep -c -e 'hv_pv: detaching' -e 'attaching queues' -e 'broken')"
# The read-only disk: flagged, refused at open for writing, readable.
echo "@@ro-flag $(cat /sys/block/hvblk1/ro)"
dd if=/dev/zero of=/dev/hvblk1 bs=4k count=1 conv=notrunc 2>/tmp/ro.err
echo "@@ro-write rc=$? $(tr '\n' ' ' </tmp/ro.err)"
# fio's own check of every block it wrote, at depth 1 and 32, 4 KiB to 1 MiB.
for qd in 1 32; do
	fio --name=verify-qd$qd --filename=/dev/hvblk2 --direct=1 --ioengine=libaio --rw=randwrite \
		--bsrange=4k-1m --iodepth=$qd --size=16M --verify=crc32c --verify_fatal=1 --do_verify=1 \
		--randrepeat=0 --output=/tmp/fio$qd.txt >/dev/null 2>&1
	echo "@@fio-qd$qd rc=$? $(grep -o 'err= *[0-9]*' /tmp/fio$qd.txt | head -1 | tr -d ' ')"
done
# ext4: made, files written and synced; then a reset without unmounting.
mkfs.ext4 -q -F /dev/hvblk0 && echo "@@mkfs ok"
mount -t ext4 /dev/hvblk0 /mnt && echo "@@mount ok"
mkdir -p /mnt/d
dd if=/dev/urandom of=/mnt/f1 bs=1M count=6 2>/dev/null
head -c 12345 /dev/urandom >/mnt/d/f2
head -c 300000 /dev/urandom >/mnt/d/f3
sync && echo "@@sync ok"
for f in f1 d/f2 d/f3; do echo "@@sha $f $(sha256sum /mnt/$f | cut -c1-64)"; done
# The NIC.
ip link set lo up && ip addr add 10.0.0.2/24 dev eth0 && ip link set eth0 up
i=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "@@carrier $(cat /sys/class/net/eth0/carrier)"
echo "@@mac $(cat /sys/class/net/eth0/address) mtu $(cat /sys/class/net/eth0/mtu)"
ping -c 3 -W 2 10.0.0.1 >/tmp/ping.txt 2>&1
echo "@@ping-g2h rc=$? $(grep -c 'bytes from 10.0.0.1' /tmp/ping.txt)"
iperf -c 10.0.0.1 -t 3 -y C >/tmp/ig2h.txt 2>&1
echo "@@iperf-g2h rc=$? $(tail -1 /tmp/ig2h.txt)"
mkdir -p /www && head -c 3000000 /dev/urandom >/www/blob
echo "@@blob $(sha256sum /www/blob | cut -c1-64)"
httpd -p 80 -h /www
iperf -s >/tmp/is.txt 2>&1 &
echo "@@changes-before $(cat /sys/class/net/eth0/carrier_changes)"
echo "@@net-ready"
nc -l -p 5000 >/tmp/go.txt
echo "@@changes-after $(cat /sys/class/net/eth0/carrier_changes) carrier $(cat /sys/class/net/eth0/carrier)"
ping -c 2 -W 2 10.0.0.1 >/tmp/ping2.txt 2>&1
echo "@@ping-after rc=$?"
# ip -s link's counters (the driver's ndo_get_stats64, as sysfs reads them).
st=/sys/class/net/eth0/statistics
echo "@@rx-stats $(cat $st/rx_bytes $st/rx_packets $st/rx_errors $st/rx_dropped | tr '\n' ' ')"
echo "@@tx-stats $(cat $st/tx_bytes $st/tx_packets $st/tx_errors $st/tx_dropped | tr '\n' ' ')"
dmesg | grep -e hv_ -e hvblk -e eth0 | sed 's/^/@@dmesg /'
echo "@@guest-dmesg-errors $(dmesg | grep -c -e 'hvblk.*error' -e 'not in flight' -e 'not posted' -e 'broken')"
reboot -f
SH
# Run 2: the same image after the reset: the journal replayed by a mount,
# unmounted, fsck.ext4 -n clean, the files as run 1 wrote them.  The guest
# is the snapshot's, which read hvblk0 before run 1 wrote it: its cached
# blocks of it are dropped first (a disk's contents are not in a snapshot).
cat >"$LP_TESTS/hv-b.sh" <<'SH'
echo 3 >/proc/sys/vm/drop_caches
mount -t ext4 /dev/hvblk0 /mnt && echo "@@mount ok"
for f in f1 d/f2 d/f3; do echo "@@sha $f $(sha256sum /mnt/$f | cut -c1-64)"; done
umount /mnt && echo "@@umount ok"
fsck.ext4 -n /dev/hvblk0 >/tmp/fsck.txt 2>&1
echo "@@fsck rc=$?"
SH

# The one boot: the modules loaded, a shell on the console, snapshotted there.
lp_initrd hv $LP_EXT4 hv_pv <<'SH'
echo "@@disks $(ls /sys/class/block | grep hvblk | tr '\n' ' ')"
sh
SH
LP_DEVS=(--disk "$TMP/lp-fs.img" --disk "$TMP/lp-ro.img,ro" --disk "$TMP/lp-fio.img" --net tap:tap0)
LP_SNAP=$TMP/lp.snap
LX_SNAP_PAUSED='cp "$TMP/lp-fio.img" "$TMP/lp-fio-0.img"'
SNAP_NS=$LP_NS lx_snapshot linux-pv-boot 300 "$LP_SNAP" '^@@up' --verbose --mem 768M "${LP_DEVS[@]}" \
	--initrd "$TMP/hv.cpio.gz" "$LP_VMLINUX" -- $LP_ARGS
LX_SNAP_PAUSED=
expect linux-pv-boot 0 '@@up' out '@@disks hvblk0 hvblk1 hvblk2' out '@@ready 42' out 'PVH entry' err \
	'"state":"paused"\}$' api '^\{"state":"exiting"\}$' api

echo '. /tests/hv-a.sh </dev/null' >"$TMP/lp-a.in"
"${LX[@]}" timeout -k 5 300 "$HV" run --verbose "${LP_DEVS[@]}" --restore "$LP_SNAP" <"$TMP/lp-a.in" \
	>"$TMP/linux-pv-hv.out" 2>"$TMP/linux-pv-hv.err" &
lp_hv=$!
wait_for "$TMP/linux-pv-hv.out" '^@@net-ready' 2800 $lp_hv # (builtins only: snap-lib.sh)
lx_time restore-a-to-net-ready
if grep -q '^@@net-ready' "$TMP/linux-pv-hv.out"; then
	"${LX[@]}" busybox ping -c 3 -W 2 "$LP_GUEST" >"$TMP/lp-ping.txt" 2>&1
	[ $? = 0 ] && pass linux-pv-ping-h2g || fail linux-pv-ping-h2g "$(tail -2 "$TMP/lp-ping.txt")"
	"${LX[@]}" timeout 30 curl -s -o "$TMP/lp-blob" "http://$LP_GUEST/blob"
	[ -s "$TMP/lp-blob" ] && [ "$(sha "$TMP/lp-blob")" = "$(lp_val linux-pv-hv blob)" ] &&
		pass linux-pv-httpd || fail linux-pv-httpd "curl's body is not the guest's /www/blob"
	"${LX[@]}" timeout 30 iperf -c "$LP_GUEST" -t 3 -y C >"$TMP/lp-ih2g.txt" 2>&1
	bps=$(tail -1 "$TMP/lp-ih2g.txt" | awk -F, 'NF > 8 && $NF ~ /^[0-9]+$/ { print $NF }')
	if [ "${bps:-0}" -gt 0 ]; then
		pass linux-pv-iperf-h2g
		echo "     host->guest TCP: $((bps / 1000000)) Mbit/s (iperf, 3 s)"
	else
		fail linux-pv-iperf-h2g "$(tail -2 "$TMP/lp-ih2g.txt")"
	fi
	# Mid-transfer: an iperf run across the tap's down and up (hv's link
	# event sets the guest's carrier off and on; TCP rides it out).
	"${LX[@]}" timeout 30 iperf -c "$LP_GUEST" -t 6 -y C >"$TMP/lp-ilink.txt" 2>&1 &
	lp_ip=$!
	sleep 1.5
	"${LX[@]}" ip link set tap0 down
	sleep 1.5
	"${LX[@]}" ip link set tap0 up
	wait $lp_ip
	[ $? = 0 ] && pass linux-pv-tap-down-transfer ||
		fail linux-pv-tap-down-transfer "iperf across the down/up: $(tail -1 "$TMP/lp-ilink.txt")"
	# The guest's nc -l ends its wait (bash's /dev/tcp, inside the namespace).
	"${LX[@]}" timeout 10 bash -c "echo go >/dev/tcp/$LP_GUEST/5000"
else
	fail linux-pv-net-ready "the guest never said @@net-ready"
fi
wait $lp_hv
RC=$?
lx_time restore-a-rest
grep -h "restore phases" "$TMP/linux-pv-hv.err" | sed "s/^/     /"
expect linux-pv-hv 123 '@@disks hvblk0 hvblk1 hvblk2' out
check linux-pv-reload "$TMP/linux-pv-hv.out" '@@rmmod ok' '@@after-rmmod 0 0' '@@insmod ok' \
	'@@reload-read same'
lp_is linux-pv-hv reload-clean reload-errors 0
lp_is linux-pv-hv ro-flag ro-flag 1
check linux-pv-ro-refused "$TMP/linux-pv-hv.out" '@@ro-write rc=[1-9].*Read-only file system'
[ "$(sha "$TMP/lp-ro.img")" = "$ro_sha" ] && pass linux-pv-ro-unchanged ||
	fail linux-pv-ro-unchanged "the read-only image changed"
lp_is linux-pv-hv fio-verify-qd1 fio-qd1 "rc=0 err=0"
lp_is linux-pv-hv fio-verify-qd32 fio-qd32 "rc=0 err=0"
check linux-pv-ext4-write "$TMP/linux-pv-hv.out" '@@mkfs ok' '@@mount ok' '@@sync ok'
lp_is linux-pv-hv carrier carrier 1
check linux-pv-ping-g2h "$TMP/linux-pv-hv.out" '@@ping-g2h rc=0 3'
check linux-pv-iperf-g2h "$TMP/linux-pv-hv.out" '@@iperf-g2h rc=0 [0-9]+,10\.0\.0\.2,'
# The carrier went off and on with the tap (carrier_changes counts both).
before=$(lp_val linux-pv-hv changes-before)
after=$(lp_val linux-pv-hv changes-after)
[ -n "$before" ] && [ "${after%% *}" -ge $((before + 2)) ] 2>/dev/null && [ "${after##* }" = 1 ] &&
	pass linux-pv-carrier-follows-tap ||
	fail linux-pv-carrier-follows-tap "carrier changes $before before, '$after' after the tap's down/up"
lp_is linux-pv-hv ping-after-up ping-after rc=0
# ip -s link: packets, bytes, errors, dropped; this much traffic moved both ways.
rxb='' rxp='' rxe='' rxd='' txb='' txp='' txe='' txd=''
read -r rxb rxp rxe rxd <<<"$(lp_val linux-pv-hv rx-stats)"
read -r txb txp txe txd <<<"$(lp_val linux-pv-hv tx-stats)"
[ "${rxb:-0}" -gt 3000000 ] 2>/dev/null && [ "${txb:-0}" -gt 3000000 ] && [ "${rxp:-0}" -gt 1000 ] &&
	[ "${txp:-0}" -gt 1000 ] && [ "$rxe" = 0 ] && [ "$txe" = 0 ] && pass linux-pv-ip-stats ||
	fail linux-pv-ip-stats "ip -s link: rx bytes $rxb packets $rxp errors $rxe dropped $rxd;" \
		"tx bytes $txb packets $txp errors $txe dropped $txd"
lp_is linux-pv-hv no-driver-errors guest-dmesg-errors 0

# The images as they were at the snapshot, but for run 1's file system.
cp "$TMP/lp-fio-0.img" "$TMP/lp-fio.img"
printf '. /tests/hv-b.sh </dev/null\npoweroff -f\n' >"$TMP/lp-b.in"
"${LX[@]}" timeout -k 5 240 "$HV" run "${LP_DEVS[@]}" --restore "$LP_SNAP" <"$TMP/lp-b.in" \
	>"$TMP/linux-pv-hv2.out" 2>"$TMP/linux-pv-hv2.err"
RC=$?
lx_time restore-b
expect linux-pv-hv2 0 '@@mount ok' out '@@umount ok' out
lp_is linux-pv-hv2 fsck-clean fsck rc=0
for f in f1 d/f2 d/f3; do
	want=$(sed -n "s|^@@sha $f \([0-9a-f]*\).*|\1|p" "$TMP/linux-pv-hv.out" | tail -1)
	g2=$(sed -n "s|^@@sha $f \([0-9a-f]*\).*|\1|p" "$TMP/linux-pv-hv2.out" | tail -1)
	host=$(debugfs -R "cat /$f" "$TMP/lp-fs.img" 2>/dev/null | sha256sum | cut -c1-64)
	[ -n "$want" ] && [ "$want" = "$g2" ] && [ "$want" = "$host" ] && pass "linux-pv-ext4-sha-${f##*/}" ||
		fail "linux-pv-ext4-sha-${f##*/}" "boot 1 wrote '$want', boot 2 read '$g2', the host's debugfs '$host'"
done
. tests/integration/linux-pv-faults.sh # lost interrupts: the drivers' timeouts
lp_cleanup
