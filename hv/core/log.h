/*
 * hv's own lines on stderr, from both threads: each line (or the few lines
 * of one event) is one write(2), so two threads' lines never interleave,
 * and the I/O thread never blocks on stderr, which a slow terminal or a
 * full pipe would make it do while every queue waits.
 *
 * A thread that must not block (log_queue_this_thread: the I/O thread)
 * only copies its lines into a bounded queue; the lines that do not fit
 * are dropped and counted.  Threads that may block (the vCPU thread, hv's
 * setup and teardown) write the queue out before their own lines, the vCPU
 * thread after each exit that reaches hv (log_drain, a load when there is
 * nothing), and hv's end once the I/O thread has stopped.  The queue's
 * lock is never held across a write(2), so the I/O thread waits for a
 * memcpy at most, never for stderr.  O_NONBLOCK is never set: stderr's
 * file is shared with the shell that started hv.
 */
#ifndef HV_LOG_H
#define HV_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_LINE_MAX 512   /* bytes one event may say; longer is cut, still one line */
#define LOG_QUEUE_LINES 64 /* events queued while no thread that may block writes */

struct log_sink {
	pthread_mutex_t lock;  /* the queue: held for a copy, never across a write */
	pthread_mutex_t write; /* one writer at a time, queue first: the order is kept */
	int fd;
	struct log_entry {
		uint16_t len;
		char text[LOG_LINE_MAX];
	} q[LOG_QUEUE_LINES];
	unsigned head, nr;     /* under lock; nr also read without it, as a hint */
	uint64_t dropped;      /* under lock: events the full queue refused, ever */
	uint64_t told;         /* under write: of those, how many a line has reported */
};

/* hv's stderr: one per process, as stderr is. */
extern struct log_sink log_stderr;
#define LOG_SINK_INIT(fd_) \
	{ .lock = PTHREAD_MUTEX_INITIALIZER, .write = PTHREAD_MUTEX_INITIALIZER, .fd = (fd_) }

/* A sink writing to fd (tests: a pipe); 0 or -errno. */
int log_sink_init(struct log_sink *s, int fd);
void log_sink_destroy(struct log_sink *s);

/* The calling thread's lines to any sink are queued from now on, never written by it. */
void log_queue_this_thread(void);

/*
 * One event, len bytes of whole lines each ending in '\n' (cut to
 * LOG_LINE_MAX, the cut line still ended): written in one write(2), or
 * queued (or dropped and counted) if the calling thread must not block.
 */
void log_write(struct log_sink *s, const char *text, size_t len);

/* "hv: " fmt "\n" as one event. */
void log_printf(struct log_sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same after prefix (whole lines, or ""), all in one event. */
void log_vprintf(struct log_sink *s, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Writes what is queued, then a line with the count of events dropped since the last. */
void log_drain(struct log_sink *s);

/* log_drain when anything is queued: cheap enough for every vCPU exit. */
static inline void log_drain_pending(struct log_sink *s)
{
	if (__atomic_load_n(&s->nr, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&s->dropped, __ATOMIC_RELAXED) !=
		    __atomic_load_n(&s->told, __ATOMIC_RELAXED))
		log_drain(s);
}

#endif
