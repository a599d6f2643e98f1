#!/usr/bin/env bash
# Builds what hv's Linux tests boot, under build/linux/: Debian's bzImage
# (boot/vmlinuz-* of the kernel package the test host VM already fetched,
# unpacked with dpkg-deb, never installed) and a small initramfs of
# busybox-static with scripts/linux/init.  The vmlinux for the PVH entry is
# the test host VM's (build/testvm/vmlinux, scripts/testvm/build.sh).
# Does nothing when its outputs are newer than its inputs.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/linux
die() { echo "linux-build: $*" >&2; exit 1; }

scripts/testvm/build.sh
deb=$(ls build/testvm/deb/linux-image-*.deb 2>/dev/null | head -1) || true
[ -n "$deb" ] || die "no kernel package under build/testvm/deb"
mkdir -p "$OUT"
if [ ! -s "$OUT/bzImage" ] || [ "$deb" -nt "$OUT/bzImage" ]; then
	rm -rf "$OUT/deb" && mkdir -p "$OUT/deb"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$OUT/deb" --wildcards './boot/vmlinuz-*'
	mv "$OUT"/deb/boot/vmlinuz-* "$OUT/bzImage.tmp" && touch "$OUT/bzImage.tmp" &&
		mv "$OUT/bzImage.tmp" "$OUT/bzImage"
	rm -rf "$OUT/deb"
fi
INIT=scripts/linux/init
if [ ! -s "$OUT/initramfs.cpio.gz" ] || [ "$INIT" -nt "$OUT/initramfs.cpio.gz" ] ||
	[ "$0" -nt "$OUT/initramfs.cpio.gz" ] || [ /bin/busybox -nt "$OUT/initramfs.cpio.gz" ]; then
	[ -x /bin/busybox ] && ! readelf -l /bin/busybox 2>/dev/null | grep -q interpreter ||
		die "/bin/busybox is not busybox-static (run scripts/install-deps.sh)"
	rd=$OUT/rootfs
	rm -rf "$rd" && mkdir -p "$rd"/{bin,dev,proc,sys,tmp}
	cp /bin/busybox "$rd/bin/busybox"
	ln -s busybox "$rd/bin/sh"
	cp "$INIT" "$rd/init"
	(cd "$rd" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$OUT/initramfs.cpio.gz.tmp"
	mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
	rm -rf "$rd"
fi
