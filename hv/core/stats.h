/* --stats: exit counts by reason from hv's own counters and KVM's statistics. */
#ifndef HV_STATS_H
#define HV_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "kvm/kvm.h"
#include "core/vcpu.h"

/*
 * /proc/self/smaps, opened while hv may still open files (before the
 * sandbox), for stats_print's resident set at the end; -1 if it cannot be.
 */
int stats_open_rss(void);

/*
 * KiB resident in all of hv's mappings and in those inside gm's, from an
 * smaps fd (read from offset 0): its page-table walks are exact (the RSS
 * counters lag by up to 64 pages a thread) and leave out the shared zero
 * page (which a guest's read of never-written RAM maps, and mincore would
 * count).  0, or -errno (-ENODATA: no Rss line; -E2BIG: a line too long;
 * -ERANGE: a mapping only partly inside gm's, which cannot be split).
 */
int stats_smaps_rss(int fd, const struct guest_mem *gm, uint64_t *all, uint64_t *guest);

/* Everything --stats prints; rss_fd from stats_open_rss (-1: the peak only). */
void stats_print(FILE *f, const struct vcpu *v, int rss_fd);

#endif
