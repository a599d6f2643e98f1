/* Rate-limited logging of guest-triggered messages (ratelimit.h). */
#include "core/ratelimit.h"

#include <stdarg.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ratelimit_init(struct ratelimit *rl, FILE *out, unsigned burst, uint64_t interval_ms)
{
	*rl = (struct ratelimit){ .out = out, .burst = burst,
				  .interval_ns = interval_ms * 1000000u, .start_ns = now_ns() };
	return -pthread_mutex_init(&rl->lock, NULL);
}

void ratelimit_destroy(struct ratelimit *rl)
{
	pthread_mutex_destroy(&rl->lock);
}

bool ratelimit_log(struct ratelimit *rl, const char *fmt, ...)
{
	uint64_t now = now_ns();
	bool print;
	va_list ap;

	pthread_mutex_lock(&rl->lock);
	if (now - rl->start_ns >= rl->interval_ns) {
		rl->start_ns = now;
		rl->printed = 0;
	}
	print = rl->printed < rl->burst;
	if (print) {
		rl->printed++;
		if (rl->suppressed)
			fprintf(rl->out, "hv: %llu similar messages suppressed\n",
				(unsigned long long)rl->suppressed);
		rl->suppressed = 0;
		fputs("hv: ", rl->out);
		va_start(ap, fmt);
		vfprintf(rl->out, fmt, ap);
		va_end(ap);
		fputc('\n', rl->out);
	} else {
		rl->suppressed++;
		rl->suppressed_total++;
	}
	pthread_mutex_unlock(&rl->lock);
	return print;
}

void ratelimit_flush(struct ratelimit *rl, const char *who)
{
	pthread_mutex_lock(&rl->lock);
	if (rl->suppressed)
		fprintf(rl->out, "hv: %s: %llu more messages suppressed\n", who,
			(unsigned long long)rl->suppressed);
	rl->suppressed = 0;
	pthread_mutex_unlock(&rl->lock);
}
