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
LP_VMLINUX=build/testvm/vmlinux
LP_INITRD=build/peers/initramfs.cpio.gz
LP_ARGS="console=ttyS0 panic=-1 rootfstype=ramfs loglevel=4"
LP_NS=hvlxpv$$
LP_HOST=10.0.0.1
LP_GUEST=10.0.0.2
lp_cleanup() { ip netns del "$LP_NS" 2>/dev/null; [ -n "${LP_IPERF:-}" ] && kill "$LP_IPERF" 2>/dev/null; true; }
trap 'lp_cleanup; rm -rf "$TMP"' EXIT

# lp_initrd NAME: $TMP/NAME.cpio.gz, the peer initramfs with /init and
# /test.sh (standard input) appended: the kernel unpacks both, the later wins.
lp_initrd() {
	local name=$1 d=$TMP/$1.root
	rm -rf "$d" && mkdir -p "$d"
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
	insmod "/modules/$m" 2>/tmp/insmod.err || echo "@@insmod-failed $m: $(cat /tmp/insmod.err)"
done
echo "@@up"
. /test.sh
echo "@@end"
poweroff -f
INIT
	cat >"$d/test.sh"
	chmod 755 "$d/init"
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
lp_initrd qemu <<'SH'
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
expect linux-pv-qemu 0 '@@up' out '@@end' out
check linux-pv-qemu-no-device "$TMP/linux-pv-qemu.out" '@@loaded y1' '@@hvblk 0' '@@drivers 0' '@@rmmod y1'
lp_is linux-pv-qemu one-line said 1
