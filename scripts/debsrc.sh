# shellcheck shell=bash
# Sourced by scripts/fetch-lwip.sh and scripts/fetch-cjson.sh: downloads one
# Debian source package (apt-get source --download-only) into OUT/dl.  apt
# runs on a private sources file with a deb-src line for this machine's own
# Debian mirror and private lists and caches under OUT/apt, so the machine's
# apt configuration is neither needed nor touched, and no root is needed.

# debsrc_mirror: the first http(s) Debian archive URI this machine's apt uses
# (deb822 or one-line format); the security archive carries no such sources.
debsrc_mirror() {
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

# debsrc_download WHO OUT PKG SUITE: PKG's source files from SUITE into
# OUT/dl; on failure one line naming the log, and status 1.
debsrc_download() {
	local who=$1 out=$2 pkg=$3 suite=$4 apt signed="" keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	command -v apt-get >/dev/null || { echo "$who: apt-get not found (Debian is needed to fetch $pkg)" >&2; return 1; }
	mkdir -p "$out/apt/lists/partial" "$out/apt/cache" "$out/dl"
	apt=$(cd "$out/apt" && pwd) # apt resolves relative Dir:: paths against its own root
	[ -r "$keyring" ] && signed="[signed-by=$keyring] "
	echo "deb-src $signed$(debsrc_mirror) $suite main" >"$apt/sources.list"
	local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1
		-o APT::Sandbox::User="$(id -un)")
	echo "$who: apt-get source $pkg from $(debsrc_mirror) ($suite)" >&2
	apt-get -q "${opts[@]}" update >"$apt/update.log" 2>&1 ||
		{ echo "$who: apt-get update of the private deb-src list failed (see $apt/update.log)" >&2; return 1; }
	(cd "$out/dl" && apt-get -q "${opts[@]}" source --download-only "$pkg") >"$apt/source.log" 2>&1 ||
		{ echo "$who: apt-get source $pkg failed (see $apt/source.log)" >&2; return 1; }
}
