/* The adaptive poll window before a halt (pv_poll.h). */
#include "pv_poll.h"

void pv_poll_init(struct pv_poll *p, uint32_t cap_ns, bool fixed)
{
	*p = (struct pv_poll){ .cap_ns = cap_ns, .fixed = fixed && cap_ns, .backoff = 1 };
	/* Start a quarter of the way up, hopeful: a first short wait grows it. */
	p->window_ns = fixed ? cap_ns : cap_ns / 4;
	if (p->window_ns < PV_POLL_MIN_NS)
		p->window_ns = cap_ns ? PV_POLL_MIN_NS : 0;
	p->paid_recently = true;
}

static void grow(struct pv_poll *p)
{
	uint32_t w = p->window_ns < PV_POLL_MIN_NS ? PV_POLL_MIN_NS : p->window_ns * 2;

	if (p->fixed)
		return;
	p->window_ns = w > p->cap_ns || w < p->window_ns ? p->cap_ns : w;
	p->backoff = 1;
	p->st.grown++;
}

static void shrink(struct pv_poll *p)
{
	if (p->fixed)
		return;
	p->paid_recently = false;
	if (p->window_ns) {
		p->window_ns /= 2;
		if (p->window_ns < PV_POLL_MIN_NS)
			p->window_ns = 0;
		p->st.shrunk++;
	}
	/* A probe at 0 that did not pay: the next one comes twice as late. */
	if (!p->window_ns && p->backoff < PV_POLL_MAX_BACKOFF)
		p->backoff *= 2;
	if (!p->window_ns)
		p->skip = p->backoff;
}

bool pv_poll_wanted(struct pv_poll *p)
{
	if (!p->cap_ns)
		return false;
	if (p->window_ns)
		return true;
	if (p->skip) {
		p->skip--;
		return false;
	}
	p->skip = p->backoff;
	return true; /* a probe, at PV_POLL_MIN_NS */
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

bool pv_poll_spin(struct pv_poll *p, const struct pv_os *os, bool (*ready)(void *arg),
		  unsigned (*take)(void *arg), void *arg, const volatile int *flag,
		  uint64_t *start_ns)
{
	/* A probe from 0 polls up to the cap: it is rare, and must be able to pay. */
	uint64_t window = p->window_ns ? p->window_ns : p->cap_ns;
	uint64_t preempted = os->preempted(os->ctx), t0 = os->now_ns(os->ctx), t;
	bool taken_away, over = false;

	*start_ns = t0;
	p->st.polls++;
	/* Over at the first completion taken, as a halt is over at the first interrupt. */
	while (!(over = *flag || (ready(arg) && take(arg)))) {
		if (os->now_ns(os->ctx) - t0 >= window)
			break;
		relax();
	}
	t = os->now_ns(os->ctx) - t0;
	p->st.poll_ns += t;
	taken_away = os->preempted(os->ctx) != preempted;
	if (!over) {
		p->st.missed++;
		p->missed_taken_away = taken_away; /* pv_poll_slept decides */
		return false;
	}
	if (taken_away) {
		/* It came because the host ran its producer on this CPU: an exit anyway. */
		p->st.unpaid++;
		shrink(p);
		return true;
	}
	p->st.paid++;
	p->paid_recently = true;
	p->backoff = 1;
	if (!p->fixed && 2 * t > p->window_ns) {
		/* Caught late (or by a probe): room for twice as long, capped. */
		p->window_ns = 2 * t < p->cap_ns ? (uint32_t)(2 * t) : p->cap_ns;
		if (p->window_ns < PV_POLL_MIN_NS)
			p->window_ns = PV_POLL_MIN_NS;
		p->st.grown++;
	}
	return true;
}

void pv_poll_slept(struct pv_poll *p, uint64_t wait_ns)
{
	/* A little longer would have caught it, and polling pays here: longer. */
	if (!p->missed_taken_away && p->paid_recently && wait_ns <= p->cap_ns)
		grow(p);
	else
		shrink(p);
}
