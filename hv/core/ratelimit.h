/*
 * Rate-limited logging for what a guest can make hv say.  A guest that
 * breaks its rings, detaches with I/O stuck or attaches over and over must
 * not be able to fill the host's log (or its disk, or slow hv down on a
 * slow terminal): each limiter prints at most `burst` lines per interval,
 * counts the rest, and says how many it dropped with the next line it
 * prints and when it is flushed (as Firecracker's logger does).  Lines go
 * to a log sink (log.h): one write each, never a wait on the I/O thread.
 */
#ifndef HV_RATELIMIT_H
#define HV_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"

#define RATELIMIT_BURST 5
#define RATELIMIT_INTERVAL_MS 5000

struct ratelimit {
	pthread_mutex_t lock;      /* vCPU threads and the I/O thread log alike */
	struct log_sink *out;      /* &log_stderr, or a test's */
	uint64_t interval_ns;
	unsigned burst;
	uint64_t start_ns;         /* of the current interval */
	unsigned printed;          /* lines in the current interval */
	uint64_t suppressed;       /* dropped since the last line printed */
	uint64_t suppressed_total; /* dropped, ever */
};

/* burst lines per interval_ms into out; 0 or -errno. */
int ratelimit_init(struct ratelimit *rl, struct log_sink *out, unsigned burst,
		   uint64_t interval_ms);
void ratelimit_destroy(struct ratelimit *rl);

/*
 * Prints one line ("hv: " and fmt, newline added) if the interval's budget
 * allows, preceded by the count of lines dropped before it; otherwise
 * counts it.  True if printed.
 */
bool ratelimit_log(struct ratelimit *rl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Says how many lines were dropped since the last one printed, if any (at teardown). */
void ratelimit_flush(struct ratelimit *rl, const char *who);

#endif
