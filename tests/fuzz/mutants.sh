#!/usr/bin/env bash
# Shows that each fuzz target catches what it is there to catch: for every
# mutant below (one check taken out of hv), it builds the target with the
# mutant into build/mutants/, fuzzes it from its corpus in the tree for up
# to S seconds (30), and expects a crash; the source file is restored (and
# touched, so nothing stale is linked later) whatever happens.  Prints one
# line per mutant, how long the target took to catch it; exits 1 if any
# mutant survived.  Not part of make test: it rebuilds, and takes minutes.
# With --check it only shows that every expression still changes its file
# (on a copy; nothing is built or touched), one line per mutant and a
# closing "mutants: N match, N do not" line: make test runs that, so a
# renamed field cannot quietly turn a mutant into a no-op.
#   usage: tests/fuzz/mutants.sh [S [TARGET...]] | tests/fuzz/mutants.sh --check
set -u
cd "$(dirname "$0")/../.."

# target @ file @ sed expression (one check out) @ what the target must then catch
MUTANTS=(
	'pvblk@hv/pv/pvblk_back.c@s/p = gm_range(b->q.mem, s->gpa, s->len);/p = (uint8_t *)b->q.mem->host + s->gpa;/@a segment outside guest RAM'
	'pvblk@hv/pv/pvblk_back.c@s/if (r->op != HV_BLK_OP_READ \&\& b->disk.ro)/if (0)/@a write to a read-only disk'
	'pvblk@hv/pv/pvq.c@s/if (!gm_range(q->mem, s->sq_gpa, sq_len) || !gm_range(q->mem, s->cq_gpa, cq_len))/if (0)/@rings outside guest RAM'
	'trapblk@hv/trap/trapblk_dev.c@s/!disk_range_ok(\&t->disk, t->run_sector, bytes)/0/@sectors past the end of the image'
	'trapnet@hv/trap/trapnet_dev.c@s/if (t->rx_run_len >= (uint32_t)t->mtu + HV_NET_ETH_HLEN \&\&/if (1 \&\&/@a receive buffer too small for a frame'
	'pvnet@hv/pv/pvnet_back.c@s/if (!p || overlaps_rings(n, b->gpa, b->len)) {/if (!p || (overlaps_rings(n, b->gpa, b->len) \&\& 0)) {/@a receive buffer over the NIC'"'"'s rings'
	'pvnet@hv/pv/pvnet_back.c@s/total > (uint64_t)n->mtu + HV_NET_ETH_HLEN/0/@a frame longer than the MTU'
	'hypercall@hv/kvm/guest_mem.c@s/if (gpa > size || len > size - gpa)/if (gpa > size || len > UINT64_MAX - gpa)/@a guest range running past the end of RAM'
	'guest_mem@hv/kvm/guest_mem.c@s/if (gpa >= GM_HIGH_BASE \&\& gm->low != gm->size)/if (gpa >= GM_HOLE_START \&\& gm->low != gm->size)/@a range in the PC hole below 4 GiB'
	'elf@hv/kvm/elf_load.c@s/if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)/if (ph->p_offset > size)/@segment data past the end of the file'
	'cli@hv/core/cli.c@s/if (v % HV_MEM_ALIGN)/if (0)/@--mem not a multiple of 2M'
)

if [ "${1:-}" = --check ]; then
	match=0 stale=0
	for m in "${MUTANTS[@]}"; do
		IFS='@' read -r target file expr what <<<"$m"
		if [ -f "$file" ] && ! sed "$expr" "$file" | cmp -s - "$file"; then
			echo "mutants: $target: matches $file ($what)"
			match=$((match + 1))
		else
			echo "mutants: $target: the expression no longer matches $file: $expr"
			stale=$((stale + 1))
		fi
	done
	echo "mutants: $match match, $stale do not"
	[ "$stale" -eq 0 ]
	exit
fi
secs=${1:-30}
shift $(($# > 0))
only=" $* "

restore() {
	[ -n "${saved:-}" ] && cp "$saved" "$file" && touch "$file"
	saved=""
}
trap 'restore; rm -rf "$tmp"' EXIT
tmp=$(mktemp -d)
saved="" survived=0 tried=0
mkdir -p build/mutants/logs
for m in "${MUTANTS[@]}"; do
	IFS='@' read -r target file expr what <<<"$m"
	[ "$only" = "  " ] || [[ "$only" == *" $target "* ]] || continue
	tried=$((tried + 1))
	cp "$file" "$tmp/orig" && saved=$tmp/orig
	sed -i "$expr" "$file"
	if cmp -s "$file" "$saved"; then
		echo "mutants: $target: the expression no longer matches $file: $expr"
		survived=$((survived + 1))
		restore
		continue
	fi
	log=build/mutants/logs/$target-$(echo "$expr" | md5sum | cut -c1-8).log
	if ! make -s BUILD=build/mutants "build/mutants/fuzz/$target" >"$log" 2>&1; then
		echo "mutants: $target: the mutant does not build ($log)"
		survived=$((survived + 1))
		restore
		continue
	fi
	rm -rf "$tmp/corpus" "$tmp/crash" && mkdir -p "$tmp/corpus" "$tmp/crash"
	t0=$(date +%s)
	"build/mutants/fuzz/$target" -max_total_time="$secs" -timeout=10 -max_len=4096 \
		-artifact_prefix="$tmp/crash/" "$tmp/corpus" "tests/fuzz/corpus/$target" >>"$log" 2>&1
	rc=$?
	t=$(($(date +%s) - t0))
	restore
	if [ "$rc" -ne 0 ]; then
		echo "mutants: $target: caught in ${t} s: $what ($(grep -m1 -oE 'fuzz: hv broke a promise: .*|fuzz: [a-z_]+: .*|ERROR: AddressSanitizer: [a-z-]+|runtime error: .*|SEGV' "$log" | head -c 120))"
	else
		echo "mutants: $target: SURVIVED ${secs} s: $what"
		survived=$((survived + 1))
	fi
done
echo "mutants: $((tried - survived)) caught, $survived survived"
[ "$survived" -eq 0 ]
