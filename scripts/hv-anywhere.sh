#!/usr/bin/env bash
# build/hv with the given arguments, wherever KVM runs guests: on this
# machine's /dev/kvm when it is VMX or SVM, otherwise inside the test host VM
# (scripts/testvm/run.sh), saying so on stderr.  Paths must lie in the checkout.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/kvm-host.sh"
if [ "$KVM_WHERE" = local ]; then
	exec "$top/build/hv" "$@"
fi
echo "hv-anywhere: $KVM_WHY: running hv in the test host VM (QEMU TCG with SVM; slower than hardware)" >&2
exec "$top/scripts/testvm/run.sh" -- "$top/build/hv" "$@"
