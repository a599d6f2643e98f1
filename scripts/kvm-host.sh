# Sourced: where KVM guests can run on this machine (README, "Where KVM
# comes from").  Sets
#   KVM_WHERE  local (this /dev/kvm is VMX or SVM) or vm (use the test host VM)
#   KVM_WHY    one line saying why
#   KVM_PVM    1 if this machine's own /dev/kvm is KVM's PVM backend
# HV_TEST_WHERE=vm forces the test host VM (make test-vm).
kvm_usable() { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
KVM_PVM=0
kvm_usable && [ -d /sys/module/kvm_pvm ] && KVM_PVM=1
if [ "${HV_TEST_WHERE:-}" = vm ]; then
	KVM_WHERE=vm KVM_WHY="HV_TEST_WHERE=vm asks for it"
elif kvm_usable && [ -d /sys/module/kvm_intel ]; then
	KVM_WHERE=local KVM_WHY="this machine's /dev/kvm is VMX (kvm_intel)"
elif kvm_usable && [ -d /sys/module/kvm_amd ]; then
	KVM_WHERE=local KVM_WHY="this machine's /dev/kvm is SVM (kvm_amd)"
elif [ "$KVM_PVM" = 1 ]; then
	KVM_WHERE=vm KVM_WHY="this machine's /dev/kvm is KVM's PVM backend, which emulates every guest instruction"
else
	KVM_WHERE=vm KVM_WHY="this machine has no /dev/kvm"
fi
