#!/usr/bin/env bash
# Fetches lwIP, the guest's TCP/IP stack, from Debian's source package and
# unpacks its upstream tarball into build/lwip/src-tree (the Makefile's
# LWIP_DIR).  Nothing of lwIP is kept in the project: only its port
# (guest-kernel/net/).  apt-get source runs on a private sources file with a
# deb-src line for this machine's own Debian mirror and a private lists
# directory, so the machine's apt configuration is neither needed nor touched.
#   scripts/fetch-lwip.sh OUT-DIR     (the Makefile passes build/lwip)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/lwip}
PKG=lwip
VERSION=2.1.3+dfsg1 # the port is written against this release
SUITE=bookworm
TARBALL=${PKG}_${VERSION}.orig.tar.xz

die() { echo "fetch-lwip: $*" >&2; exit 1; }

# The first http(s) Debian archive URI this machine's apt uses (deb822 or
# one-line format); the security archive carries no lwip.
mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f" |
			grep -v -- '-security' | grep -E '^https?://' | head -1)
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; break } }' "$f" |
			grep -v -- '-security' | head -1)
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	echo http://deb.debian.org/debian
}

command -v apt-get >/dev/null || die "apt-get not found (Debian is needed to fetch lwIP)"
command -v xz >/dev/null || die "xz not found (run scripts/install-deps.sh)"

mkdir -p "$OUT/apt/lists/partial" "$OUT/apt/cache" "$OUT/dl"
APT=$(cd "$OUT/apt" && pwd) # apt resolves relative Dir:: paths against its own root
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SIGNED=""
[ -r "$KEYRING" ] && SIGNED="[signed-by=$KEYRING] "
echo "deb-src $SIGNED$(mirror) $SUITE main" >"$APT/sources.list"
# Private lists and caches: no root needed, and the machine's apt state is untouched.
APT_OPTS=(-o "Dir::Etc::SourceList=$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o Debug::NoLocking=1
	-o APT::Sandbox::User="$(id -un)")

if [ ! -s "$OUT/dl/$TARBALL" ]; then
	echo "fetch-lwip: apt-get source $PKG from $(mirror) ($SUITE)" >&2
	apt-get -q "${APT_OPTS[@]}" update >"$APT/update.log" 2>&1 ||
		die "apt-get update of the private deb-src list failed (see $APT/update.log)"
	(cd "$OUT/dl" && apt-get -q "${APT_OPTS[@]}" source --download-only "$PKG") \
		>"$APT/source.log" 2>&1 || die "apt-get source $PKG failed (see $APT/source.log)"
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
