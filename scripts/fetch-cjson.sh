#!/usr/bin/env bash
# Fetches cJSON, the control API's JSON parser and printer (hv/api/), from
# Debian's source package, applies Debian's own patches (its security
# fixes) in series order, and copies cJSON.c and cJSON.h into GEN-DIR,
# where hv/api/cjson.c includes the source: hv is a static musl binary and
# Debian's libcjson is built against glibc.  Nothing of cJSON is kept in the
# project.  apt-get source runs as scripts/debsrc.sh says, without touching
# the machine's apt configuration.
#   scripts/fetch-cjson.sh WORK-DIR GEN-DIR   (the Makefile: build/cjson build/gen/cjson)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/cjson}
GEN=${2:-build/gen/cjson}
PKG=cjson
VERSION=1.7.15 # the API is written against this release
SUITE=bookworm
TARBALL=${PKG}_${VERSION}.orig.tar.gz

die() { echo "fetch-cjson: $*" >&2; exit 1; }
command -v patch >/dev/null || die "patch not found (run scripts/install-deps.sh)"

. scripts/debsrc.sh
if [ ! -s "$OUT/dl/$TARBALL" ] || ! ls "$OUT"/dl/${PKG}_"$VERSION"-*.debian.tar.* >/dev/null 2>&1; then
	debsrc_download fetch-cjson "$OUT" "$PKG" "$SUITE" || exit 1
	[ -s "$OUT/dl/$TARBALL" ] || die "no $TARBALL after apt-get source (hv expects cJSON $VERSION)"
fi

rm -rf "$OUT/src-tree"
mkdir -p "$OUT/src-tree"
tar -xzf "$OUT/dl/$TARBALL" -C "$OUT/src-tree" --strip-components=1
# Debian's packaging, and with it its patches (debian/patches/series).
DEBTAR=$(ls "$OUT"/dl/${PKG}_"$VERSION"-*.debian.tar.* | sort -V | tail -1)
tar -xf "$DEBTAR" -C "$OUT/src-tree"
if [ -f "$OUT/src-tree/debian/patches/series" ]; then
	grep -v '^[[:space:]]*\(#\|$\)' "$OUT/src-tree/debian/patches/series" | while read -r p _; do
		patch -s -p1 -d "$OUT/src-tree" <"$OUT/src-tree/debian/patches/$p" ||
			die "Debian's patch $p does not apply"
	done
fi
[ -f "$OUT/src-tree/cJSON.c" ] && [ -f "$OUT/src-tree/cJSON.h" ] || die "$TARBALL has no cJSON.c"
mkdir -p "$GEN"
cp "$OUT/src-tree/cJSON.c" "$OUT/src-tree/cJSON.h" "$GEN/"
echo "fetch-cjson: cJSON $VERSION ($(basename "$DEBTAR")) in $GEN" >&2
