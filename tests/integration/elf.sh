# shellcheck shell=bash
# Kernels hv must refuse before KVM is touched: one line on stderr, status 2.
le64() { # le64 VALUE: 8 little-endian bytes as printf escapes
	local v=$1 i out=""
	for i in 0 1 2 3 4 5 6 7; do out="$out$(printf '\\x%02x' $(((v >> (8 * i)) & 255)))"; done
	printf '%s' "$out"
}
patch() { # patch FILE OFFSET ESCAPED-BYTES
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
phoff=$(od -An -t u8 -j 32 -N 8 "$KERNEL" | tr -d ' ')

: >"$TMP/empty.elf"
echo "just text" >"$TMP/text.elf"
cp "$KERNEL" "$TMP/elf32.elf" && patch "$TMP/elf32.elf" 4 '\x01'
cp "$KERNEL" "$TMP/arm.elf" && patch "$TMP/arm.elf" 18 '\xb7\x00'
head -c 200 "$KERNEL" >"$TMP/trunc.elf"
cp "$KERNEL" "$TMP/high.elf"
patch "$TMP/high.elf" $((phoff + 16)) "$(le64 0x7ff00000)"
patch "$TMP/high.elf" $((phoff + 24)) "$(le64 0x7ff00000)"
cp "$KERNEL" "$TMP/low.elf"
patch "$TMP/low.elf" $((phoff + 16)) "$(le64 0x1000)"
patch "$TMP/low.elf" $((phoff + 24)) "$(le64 0x1000)"
PIE=$(readlink -f "$(type -P true)")

bad_kernel() { # NAME FILE PATTERN [HV OPTIONS...]
	local name=$1 file=$2 pat=$3
	shift 3
	run "$name" 10 "$HV" run "$@" "$file"
	expect "$name" 2 "$pat" err
	[ "$(wc -l <"$TMP/$name.err")" -eq 1 ] || fail "$name-one-line" "stderr has $(wc -l <"$TMP/$name.err") lines"
}
bad_kernel reject-missing "$TMP/nonexistent.elf" "cannot open: No such file"
bad_kernel reject-directory "$TMP" "not a regular file"
bad_kernel reject-empty "$TMP/empty.elf" "empty file"
bad_kernel reject-text "$TMP/text.elf" "not an ELF file"
bad_kernel reject-elf32 "$TMP/elf32.elf" "not a 64-bit ELF"
bad_kernel reject-aarch64 "$TMP/arm.elf" "not an x86-64 ELF"
bad_kernel reject-pie "$PIE" "not an ELF executable"
bad_kernel reject-truncated "$TMP/trunc.elf" "past the end of the file"
bad_kernel reject-beyond-ram "$TMP/high.elf" "does not fit in 64 MiB"
bad_kernel reject-boot-area "$TMP/low.elf" "overlaps hv's boot area"
bad_kernel reject-beyond-small-ram "$TMP/high.elf" "does not fit in 4 MiB" --mem 4M
