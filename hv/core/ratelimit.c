/* Rate-limited logging of guest-triggered messages (ratelimit.h). */
#include "core/util.h"
#include "core/ratelimit.h"

#include <stdarg.h>
#include <stdio.h>


int ratelimit_init(struct ratelimit *rl, struct log_sink *out, unsigned burst,
		   uint64_t interval_ms)
{
	*rl = (struct ratelimit){ .out = out, .burst = burst,
				  .interval_ns = interval_ms * 1000000u, .start_ns = mono_ns() };
	return -pthread_mutex_init(&rl->lock, NULL);
}

void ratelimit_destroy(struct ratelimit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

bool ratelimit_log(struct ratelimit *rl, const char *fmt, ...)
{
	uint64_t now = mono_ns(), dropped = 0;
	char before[64] = "";
	bool print;
	va_list ap;

	/* Decided under the lock, written after: a write may wait, the other thread must not. */
	pthread_mutex_lock(&rl->lock);
	if (now - rl->start_ns >= rl->interval_ns) {
		rl->start_ns = now;
		rl->printed = 0;
	}
	print = rl->printed < rl->burst;
	if (print) {
		rl->printed++;
		dropped = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
		rl->suppressed_total++;
	}
	pthread_mutex_unlock(&rl->lock);
	if (!print)
		return false;
	if (dropped)
		snprintf(before, sizeof(before), "hv: %llu similar messages suppressed\n",
			 (unsigned long long)dropped);
	/* Both lines in one write: another thread's cannot come between. */
	va_start(ap, fmt);
	log_vprintf(rl->out, before, fmt, ap);
	va_end(ap);
	return true;
}

void ratelimit_flush(struct ratelimit *rl, const char *who)
{
	uint64_t dropped;

	pthread_mutex_lock(&rl->lock);
	dropped = rl->suppressed;
	rl->suppressed = 0;
	pthread_mutex_unlock(&rl->lock);
	if (dropped)
		log_printf(rl->out, "%s: %llu more messages suppressed", who,
			   (unsigned long long)dropped);
}
