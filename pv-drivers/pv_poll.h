/*
 * The adaptive poll window a front end spends on its completion ring before
 * it sleeps for an interrupt (as Linux's cpuidle-haltpoll): waiting by
 * polling saves the halt and the wake-up when the completion comes from
 * another CPU within the window, and wastes the CPU when it does not.  So
 * the window adapts to what polling bought:
 *   - a completion taken while polling, without this CPU having been taken
 *     away meanwhile (pv_os.preempted unchanged): polling paid; one caught
 *     in the window's second half makes it twice that long (capped), so
 *     the next is caught too;
 *   - a completion that came only because the host took the CPU away to
 *     produce it (one CPU: hv's I/O thread had to preempt the poller) did
 *     not pay: it cost an exit as a halt would, and the CPU besides: the
 *     window halves, to 0 below PV_POLL_MIN_NS;
 *   - the window ran out and the wait went on asleep: it shrinks too,
 *     unless polling paid recently and the whole wait was within the cap
 *     (a little longer would have caught it): then it grows.
 * At 0 it probes (a poll up to the cap) once every `backoff` waits, the
 * backoff doubling (to PV_POLL_MAX_BACKOFF) each time a probe does not pay,
 * so on one CPU the window stays 0 and costs a probe in thousands of waits,
 * and where polling starts to pay, the first probe that does reopens it.
 * A cap of 0 turns polling off.  OS-neutral, like pv_os.h; not locked.
 */
#ifndef PV_POLL_H
#define PV_POLL_H

#include <stdbool.h>
#include <stdint.h>

#include "pv_os.h"

#define PV_POLL_MIN_NS 2000u          /* below this the window is 0 */
#define PV_POLL_DEFAULT_CAP_NS 200000u /* Linux's guest_halt_poll_ns default */
#define PV_POLL_MAX_BACKOFF 4096u

struct pv_poll_stats {
	uint64_t polls;      /* waits that polled */
	uint64_t paid;       /* ... and took the completion, the CPU kept */
	uint64_t unpaid;     /* ... took it only because the CPU was taken away */
	uint64_t missed;     /* ... and slept after all */
	uint64_t grown, shrunk;
	uint64_t poll_ns;    /* time spent polling */
};

struct pv_poll {
	uint32_t cap_ns;     /* largest window; 0: never poll */
	uint32_t window_ns;  /* the current window */
	bool fixed;          /* tests: the window stays at the cap */
	bool paid_recently;  /* no poll has failed to pay since the last that paid */
	bool missed_taken_away; /* the last miss: the CPU was taken away meanwhile */
	uint32_t backoff, skip; /* at window 0: probe once every backoff waits */
	struct pv_poll_stats st;
};

/* cap_ns 0: off; fixed: the window is the cap and never adapts (tests). */
void pv_poll_init(struct pv_poll *p, uint32_t cap_ns, bool fixed);

/*
 * One wait: polls up to the window with ready(arg) (one cheap look at the
 * ring) and take(arg) (takes completions, returns how many), adapts the
 * window, and returns true once *flag is set or a completion was taken
 * (the wait is over, as a halt is over at the first interrupt).  The
 * caller suppresses the ring's interrupt before and re-arms it (with its
 * final re-check) after, then sleeps if this returned false and calls
 * pv_poll_slept with how long the whole wait took (from *start_ns).
 */
bool pv_poll_spin(struct pv_poll *p, const struct pv_os *os, bool (*ready)(void *arg),
		  unsigned (*take)(void *arg), void *arg, const volatile int *flag,
		  uint64_t *start_ns);
/* Whether the next wait polls at all (window or a due probe); counts the probe. */
bool pv_poll_wanted(struct pv_poll *p);
/* After a wait that polled, missed and slept: wait_ns from its start to the wake-up. */
void pv_poll_slept(struct pv_poll *p, uint64_t wait_ns);

#endif
