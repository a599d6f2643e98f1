# shellcheck shell=bash
# CLI: bad arguments get one precise line and status 2; --version, --help.
bad_cli() { # NAME PATTERN ARGS...
	local name=$1 pat=$2
	shift 2
	run "$name" 10 "$HV" "$@"
	expect "$name" 2 "$pat" err
}
bad_cli cli-no-command "no command given"
bad_cli cli-unknown-option "unknown option '--frobnicate'" run --frobnicate "$KERNEL"
bad_cli cli-bad-mem "--mem: 'lots' is not a size" run --mem lots "$KERNEL"
bad_cli cli-mem-range "out of range" run --mem 128G "$KERNEL"
bad_cli cli-bad-timeout "--timeout: 'soon'" run --timeout soon "$KERNEL"
bad_cli cli-stray-arg "unexpected argument 'selftest'" run "$KERNEL" selftest

run cli-version 5 "$HV" --version
# The ABI version the protocol header defines, not a copy of it.
abi=$(awk '$1 == "#define" && $2 == "HV_ABI_VERSION" { print $3 }' protocol/hv_abi.h)
expect cli-version 0 "^hv [0-9]+\.[0-9]+\.[0-9]+ \(guest ABI ${abi:-unknown}\)" out
run cli-help 5 "$HV" --help
expect cli-help 0 "usage: hv run \[options\] KERNEL" out "--timeout SECONDS" out
