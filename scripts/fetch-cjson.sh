#!/usr/bin/env bash
# Fetches cJSON, the control API's JSON parser and printer (hv/api/), from
# Debian's source package, applies Debian's own patches (its security
# fixes) in series order, and copies cJSON.c and cJSON.h into GEN-DIR,
# where hv/api/cjson.c includes the source: hv is a static musl binary and
# Debian's libcjson is built against glibc.  Nothing of cJSON is kept in the
# project.  apt-get source runs on a private sources file and lists, as
# scripts/fetch-lwip.sh does, so the machine's apt setup is not touched.
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
command -v apt-get >/dev/null || die "apt-get not found (Debian is needed to fetch cJSON)"
command -v patch >/dev/null || die "patch not found (run scripts/install-deps.sh)"

# The first http(s) Debian archive this machine's apt uses (as fetch-lwip.sh finds it).
mirror() {
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' | grep -v -- '-security' |
		grep -E '^https?://' | head -1)
	[ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; break } }' |
		grep -v -- '-security' | head -1)
	echo "${uri:-http://deb.debian.org/debian}"
}

mkdir -p "$OUT/apt/lists/partial" "$OUT/apt/cache" "$OUT/dl"
APT=$(cd "$OUT/apt" && pwd)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SIGNED=""
[ -r "$KEYRING" ] && SIGNED="[signed-by=$KEYRING] "
echo "deb-src $SIGNED$(mirror) $SUITE main" >"$APT/sources.list"
APT_OPTS=(-o "Dir::Etc::SourceList=$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o Debug::NoLocking=1
	-o APT::Sandbox::User="$(id -un)")

if [ ! -s "$OUT/dl/$TARBALL" ] || ! ls "$OUT"/dl/${PKG}_"$VERSION"-*.debian.tar.* >/dev/null 2>&1; then
	echo "fetch-cjson: apt-get source $PKG from $(mirror) ($SUITE)" >&2
	apt-get -q "${APT_OPTS[@]}" update >"$APT/update.log" 2>&1 ||
		die "apt-get update of the private deb-src list failed (see $APT/update.log)"
	(cd "$OUT/dl" && apt-get -q "${APT_OPTS[@]}" source --download-only "$PKG") \
		>"$APT/source.log" 2>&1 || die "apt-get source $PKG failed (see $APT/source.log)"
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
