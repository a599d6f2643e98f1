/* --stats: exit counts by reason from hv's own counters and KVM's statistics. */
#ifndef HV_STATS_H
#define HV_STATS_H

#include <stdio.h>

#include "kvm/kvm.h"
#include "core/vcpu.h"

void stats_print(FILE *f, const struct vcpu *v);

#endif
