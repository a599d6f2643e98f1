#!/usr/bin/env bash
# Builds the test host VM into build/testvm/: Debian's stock kernel (fetched
# with apt-get download, unpacked under build/, never installed), its
# uncompressed vmlinux for QEMU's PVH entry, and an initramfs of busybox-static,
# the modules KVM and the tests need, and scripts/testvm/init.  The payload
# (hv, guests, tests) is not copied in: the VM mounts the machine's root
# read-only and the checkout read-write over 9p, so a rebuild of hv needs no
# rebuild of the VM.  Does nothing when its outputs are newer than its inputs.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/testvm
# Modules in load order (from modinfo -F depends): KVM on SVM, 9p over virtio
# for the shared file systems, tun/veth/bridge for network tests; ext4 (with
# the crc32c its metadata checksums take), loop and device-mapper's
# log-writes target for the durability test's power cuts.
MODULES="irqbypass kvm ccp kvm-amd
	virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p
	tun veth llc stp bridge
	crc32c_generic crc16 mbcache jbd2 ext4 loop dm-mod dm-log-writes"

die() { echo "testvm-build: $*" >&2; exit 1; }

# The kernel package linux-image-amd64 points at today (cached in $OUT/kver).
kernel_pkg() {
	local pkg
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$pkg" ] || die "apt-cache knows no linux-image-amd64 (is this Debian with apt sources?)"
	echo "$pkg"
}

mkdir -p "$OUT"
# The .deb is kept (70 MB); its 400 MB unpacked tree only while building.
deb=$(ls "$OUT"/deb/linux-image-*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
	pkg=$(kernel_pkg)
	echo "testvm-build: fetching $pkg (apt-get download)" >&2
	rm -rf "$OUT/deb"
	mkdir -p "$OUT/deb"
	# apt-get warns when its _apt user cannot write here; the download is fine.
	(cd "$OUT/deb" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
		die "apt-get download $pkg failed"
	deb=$(ls "$OUT"/deb/linux-image-*.deb)
fi
INIT=scripts/testvm/init
fresh() { # fresh FILE: FILE exists and is newer than every input
	local f=$1 i
	[ -s "$f" ] || return 1
	for i in "$deb" "$INIT" "$0" /bin/busybox; do
		[ "$i" -nt "$f" ] && return 1
	done
	return 0
}
fresh "$OUT/vmlinux" && fresh "$OUT/initramfs.cpio.gz" && exit 0

[ -x /bin/busybox ] && ! readelf -l /bin/busybox 2>/dev/null | grep -q interpreter ||
	die "/bin/busybox is not busybox-static (run scripts/install-deps.sh)"
tmp=$OUT/unpack
rm -rf "$tmp" && mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
KVER=$(ls "$tmp/root/lib/modules" | head -1)
MODDIR=$tmp/root/lib/modules/$KVER

# vmlinux: the xz stream inside vmlinuz (the method of the kernel's
# scripts/extract-vmlinux), so QEMU boots it through PVH without decompressing.
python3 scripts/testvm/extract-vmlinux.py "$tmp/root/boot/vmlinuz-$KVER" "$OUT/vmlinux.tmp" || die "no ELF in the xz stream of vmlinuz-$KVER"
mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"

# initramfs: busybox, the modules in load order, /init.
rd=$tmp/initramfs
mkdir -p "$rd"/{bin,dev,proc,sys,host,modules}
cp /bin/busybox "$rd/bin/busybox"
ln -s busybox "$rd/bin/sh"
for m in $MODULES; do
	f=$(find "$MODDIR/kernel" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
	[ -n "$f" ] || die "module $m not in $KVER"
	cp "$f" "$rd/modules/"
	echo "${f##*/}" >>"$rd/modules/order"
done
cp "$INIT" "$rd/init"
chmod 755 "$rd/init"
(cd "$rd" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$OUT/initramfs.cpio.gz.tmp"
mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
echo "$KVER" >"$OUT/kver"
echo "testvm-build: $OUT/initramfs.cpio.gz ($(du -k "$OUT/initramfs.cpio.gz" | cut -f1) KiB) and vmlinux, kernel $KVER" >&2
