#!/usr/bin/env bash
# Fetches lwIP, the guest's TCP/IP stack, from Debian's source package and
# unpacks its upstream tarball into build/lwip/src-tree (the Makefile's
# LWIP_DIR).  Nothing of lwIP is kept in the project: only its port
# (guest-kernel/net/).  apt-get source runs as scripts/debsrc.sh says, without
# touching the machine's apt configuration.
#   scripts/fetch-lwip.sh OUT-DIR     (the Makefile passes build/lwip)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/lwip}
PKG=lwip
VERSION=2.1.3+dfsg1 # the port is written against this release
SUITE=bookworm
TARBALL=${PKG}_${VERSION}.orig.tar.xz

die() { echo "fetch-lwip: $*" >&2; exit 1; }

. scripts/debsrc.sh
command -v xz >/dev/null || die "xz not found (run scripts/install-deps.sh)"

if [ ! -s "$OUT/dl/$TARBALL" ]; then
	debsrc_download fetch-lwip "$OUT" "$PKG" "$SUITE" || exit 1
	[ -s "$OUT/dl/$TARBALL" ] || die "no $TARBALL after apt-get source (the port expects lwIP $VERSION)"
fi

rm -rf "$OUT/src-tree.tmp"
mkdir -p "$OUT/src-tree.tmp"
tar -xJf "$OUT/dl/$TARBALL" -C "$OUT/src-tree.tmp" --strip-components=1
[ -f "$OUT/src-tree.tmp/src/core/tcp.c" ] || die "$TARBALL has no src/core/tcp.c"

# One fix from later lwIP releases, applied to the unpacked tree: in 2.1.3
# lwiperf's error callback closes a pcb lwIP has already freed (a remote
# reset, a refused connect: a double free).  Later releases forget the pcb
# first; so does this.  The script fails if the code is not as expected.
python3 scripts/lwiperf-fix.py "$OUT/src-tree.tmp/src/apps/lwiperf/lwiperf.c" || die "cannot apply the lwiperf fix"
rm -rf "$OUT/src-tree"
mv "$OUT/src-tree.tmp" "$OUT/src-tree"
echo "fetch-lwip: lwIP $VERSION in $OUT/src-tree" >&2
