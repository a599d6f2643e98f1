#!/usr/bin/env bash
# Builds the peer guest's initramfs, build/peers/initramfs.cpio.gz: the Linux
# guest that make bench boots under QEMU (scripts/bench-qemu.sh) as the
# qemu-virtio and qemu-emulated rows.  Debian's kernel (the test host VM's:
# build/testvm/vmlinux and the modules of its .deb), busybox-static, fio and
# iperf 2 and e2fsprogs' mke2fs/e2fsck (as mkfs.ext4, fsck.ext4) from Debian
# packages fetched here with apt-get download (never installed), only the shared libraries they load (their DT_NEEDED closure,
# scripts/peers/libs.py) and the dynamic loader, a static musl net-rr for the
# UDP echo, hv's PV drivers (build/linux/modules/hv_pv.ko, make modules: the
# same initramfs boots on hv and under QEMU, where hv_pv finds no device),
# and scripts/peers/init as /init.  Does nothing when its output is
# newer than every input.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/peers
PKGS=$OUT/pkgs # one unpacked tree per .deb: libs.py knows which package owns a file
INIT=scripts/peers/init
HV_KO=build/linux/modules/hv_pv.ko
# Modules (dependencies from their .modinfo added first): virtio over PCI,
# the virtio disk and NIC, AHCI with the SCSI disk, e1000; ext4 (and the
# crc32c its metadata checksums take) for the file system tests on hv's disk.
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	virtio_blk failover net_failover virtio_net
	scsi_common scsi_mod libata libahci ahci sd_mod e1000
	crc32c_generic ext4"

die() { echo "peers-build: $*" >&2; exit 1; }

[ -s "$HV_KO" ] || die "no $HV_KO: run make modules"
scripts/testvm/build.sh || die "the test host VM's kernel (scripts/testvm/build.sh) failed"
deb=$(ls build/testvm/deb/linux-image-*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && [ -s build/testvm/vmlinux ] || die "no kernel .deb or vmlinux under build/testvm/"

fresh() { # fresh FILE: FILE exists and is newer than every input
	local f=$1 i
	[ -s "$f" ] || return 1
	for i in "$deb" "$INIT" "$0" scripts/peers/libs.py tests/bench/net-rr.c /bin/busybox "$HV_KO"; do
		[ "$i" -nt "$f" ] && return 1
	done
	return 0
}
fresh "$OUT/initramfs.cpio.gz" && exit 0

[ -x /bin/busybox ] && ! readelf -l /bin/busybox 2>/dev/null | grep -q interpreter ||
	die "/bin/busybox is not busybox-static (run scripts/install-deps.sh)"
command -v musl-gcc >/dev/null || die "musl-gcc missing (run scripts/install-deps.sh)"
mkdir -p "$OUT" "$PKGS"

# fio and iperf, and the libraries their ELF files need (libs.py fetches the
# owning packages' Depends until every DT_NEEDED name resolves).
rd=$OUT/initramfs
rm -rf "$rd" && mkdir -p "$rd"/{bin,dev,proc,sys,out,modules,usr/bin}
python3 scripts/peers/libs.py "$PKGS" "$rd" fio:/usr/bin/fio iperf:/usr/bin/iperf \
	e2fsprogs:/sbin/mke2fs e2fsprogs:/sbin/e2fsck ||
	die "cannot resolve the libraries of fio, iperf and e2fsprogs"
ln -s mke2fs "$rd/bin/mkfs.ext4" && ln -s e2fsck "$rd/bin/fsck.ext4"
mkdir -p "$rd/etc" && cp "$PKGS/tree/e2fsprogs/etc/mke2fs.conf" "$rd/etc/"

# Kernel modules: the .deb unpacked for as long as this takes.
tmp=$OUT/kernel-unpack
rm -rf "$tmp" && mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
KVER=$(ls "$tmp/lib/modules" | head -1)
MODDIR=$tmp/lib/modules/$KVER
modfile() { find "$MODDIR/kernel" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "${1//_/-}.ko" \) | head -1; }
loaded=" "
add_module() { # add_module NAME: its dependencies first, then NAME
	local m=$1 f d
	case "$loaded" in *" $m "*) return 0 ;; esac
	f=$(modfile "$m")
	[ -n "$f" ] || die "module $m not in kernel $KVER"
	# The .modinfo strings hold "depends=a,b" (kmod's modinfo is not installed).
	deps=$(case $f in *.xz) xz -dc "$f" ;; *) cat "$f" ;; esac | tr '\0' '\n' |
		sed -n 's/^depends=//p' | head -1 | tr , ' ')
	for d in $deps; do
		add_module "$d"
	done
	cp "$f" "$rd/modules/"
	echo "${f##*/}" >>"$rd/modules/order"
	loaded="$loaded$m "
}
for m in $MODULES; do
	add_module "$m"
done
# hv_pv last: /init loads every module in order (without debug info: 1/10 the size).
strip --strip-debug -o "$rd/modules/hv_pv.ko" "$HV_KO" && echo hv_pv.ko >>"$rd/modules/order" ||
	die "cannot copy $HV_KO"

# The guest's UDP echo server: static, so it needs no library of its own.
musl-gcc -static -O2 -o "$rd/bin/net-rr" tests/bench/net-rr.c || die "musl-gcc net-rr failed"
cp /bin/busybox "$rd/bin/busybox"
ln -s busybox "$rd/bin/sh"
cp "$INIT" "$rd/init"
chmod 755 "$rd/init"
(cd "$rd" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$OUT/initramfs.cpio.gz.tmp"
mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
rm -rf "$rd"
echo "peers-build: $OUT/initramfs.cpio.gz ($(du -k "$OUT/initramfs.cpio.gz" | cut -f1) KiB), kernel $KVER" >&2
