/* hv's lines on stderr: one write per event, queued for a thread that must not block (log.h). */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

struct log_sink log_stderr = LOG_SINK_INIT(STDERR_FILENO);

/* Set on the I/O thread: a per-thread role, as the sandbox's. */
static __thread bool queue_only;

int log_sink_init(struct log_sink *s, int fd)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	rc = pthread_mutex_init(&s->lock, NULL);
	if (rc)
		return -rc;
	rc = pthread_mutex_init(&s->write, NULL);
	if (rc) {
		pthread_mutex_destroy(&s->lock);
		return -rc;
	}
	return 0;
}

void log_sink_destroy(struct log_sink *s)
{
	pthread_mutex_destroy(&s->write);
	pthread_mutex_destroy(&s->lock);
}

void log_queue_this_thread(void)
{
	queue_only = true;
}

/*
 * Under s->write: the queue, oldest first, then the count of what did not
 * fit.  A failed write is dropped here and below: stderr is gone, nowhere
 * left to say anything.
 */
static void drain_locked(struct log_sink *s)
{
	struct log_entry e;
	uint64_t dropped;
	char note[96];
	int n;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (!s->nr) {
			dropped = s->dropped;
			pthread_mutex_unlock(&s->lock);
			break;
		}
		e = s->q[s->head];
		s->head = (s->head + 1) % LOG_QUEUE_LINES;
		__atomic_store_n(&s->nr, s->nr - 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&s->lock);
		(void)write_full(s->fd, e.text, e.len);
	}
	if (dropped != s->told) {
		n = snprintf(note, sizeof(note), "hv: %llu log lines dropped (the I/O thread's "
			     "queue was full)\n", (unsigned long long)(dropped - s->told));
		(void)write_full(s->fd, note, (size_t)n);
		__atomic_store_n(&s->told, dropped, __ATOMIC_RELAXED);
	}
}

void log_drain(struct log_sink *s)
{
	if (queue_only)
		return;
	pthread_mutex_lock(&s->write);
	drain_locked(s);
	pthread_mutex_unlock(&s->write);
}

void log_write(struct log_sink *s, const char *text, size_t len)
{
	char cut[LOG_LINE_MAX];

	if (len > LOG_LINE_MAX) {
		memcpy(cut, text, LOG_LINE_MAX - 1);
		cut[LOG_LINE_MAX - 1] = '\n';
		text = cut;
		len = LOG_LINE_MAX;
	}
	if (!queue_only) {
		pthread_mutex_lock(&s->write);
		drain_locked(s);
		(void)write_full(s->fd, text, len);
		pthread_mutex_unlock(&s->write);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (s->nr == LOG_QUEUE_LINES) {
		__atomic_store_n(&s->dropped, s->dropped + 1, __ATOMIC_RELAXED);
	} else {
		struct log_entry *e = &s->q[(s->head + s->nr) % LOG_QUEUE_LINES];

		memcpy(e->text, text, len);
		e->len = (uint16_t)len;
		__atomic_store_n(&s->nr, s->nr + 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->lock);
}

void log_vprintf(struct log_sink *s, const char *prefix, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	size_t len = strlen(prefix), avail;
	int n;

	if (len > LOG_LINE_MAX / 2)
		len = LOG_LINE_MAX / 2;
	memcpy(buf, prefix, len);
	memcpy(buf + len, "hv: ", 4);
	len += 4;
	avail = sizeof(buf) - len - 1; /* for the text: the newline's byte kept */
	n = vsnprintf(buf + len, avail + 1, fmt, ap); /* its NUL takes the newline's byte */
	len += n < 0 ? 0 : (size_t)n > avail ? avail : (size_t)n;
	buf[len++] = '\n';
	log_write(s, buf, len);
}

void log_printf(struct log_sink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(s, "", fmt, ap);
	va_end(ap);
}
