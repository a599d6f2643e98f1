/*
 * The network loop (netstack.h): lwIP runs only here, never in an interrupt
 * handler, so it needs no locking.  Handlers set the wake flag; the loop
 * polls every NIC, feeds lwIP, runs its timers, and halts with the APIC
 * timer armed for lwIP's next timeout when nothing is left to do.
 */
#include "netstack.h"

#include "apic.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"
#include "netdev.h"
#include "platform.h"
#include "pv_os.h"
#include "trap.h"
#include "tsc.h"

static volatile int wake; /* an interrupt came since the last turn */

uint64_t net_now_ns(void)
{
	return tsc_to_ns(rdtsc(), tsc_ticks_per_us());
}

void net_wake(void)
{
	wake = 1;
}

unsigned net_poll(void)
{
	struct netdev *d;
	unsigned n = 0;

	wake = 0; /* before polling: an interrupt from now on is seen next turn */
	for (d = netdev_next(NULL); d; d = netdev_next(d))
		n += netdev_poll(d);
	sys_check_timeouts();
	for (d = netdev_next(NULL); d; d = netdev_next(d))
		netdev_kick(d);
	return n;
}

/* How long the loop may sleep: until deadline or lwIP's next timeout; 0: not at all. */
static uint64_t sleep_for(uint64_t deadline_ns)
{
	uint64_t now = net_now_ns(), ns = deadline_ns > now ? deadline_ns - now : 0;
	u32_t ms = sys_timeouts_sleeptime();

	if (ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE && (uint64_t)ms * 1000000 < ns)
		ns = (uint64_t)ms * 1000000;
	return ns;
}

void net_wait(uint64_t deadline_ns)
{
	struct netdev *d;
	bool work = false;
	uint64_t ns;

	/* The caller's condition may hold now: it looks before the loop sleeps. */
	if (net_poll())
		return;
	/*
	 * From the devices' arming to the halt with interrupts off: an
	 * interrupt raised in between stays pending and ends the halt at once.
	 */
	plat_irq_disable();
	for (d = netdev_next(NULL); d; d = netdev_next(d))
		work |= netdev_arm_irq(d);
	ns = work || wake ? 0 : sleep_for(deadline_ns);
	/*
	 * Bounded like the PV drivers' waits: an interrupt lost (or late)
	 * leaves a frame unseen, so after at most PV_OS_WAIT_TIMEOUT_NS the
	 * loop looks at every NIC again, interrupt or not.
	 */
	if (ns > PV_OS_WAIT_TIMEOUT_NS)
		ns = PV_OS_WAIT_TIMEOUT_NS;
	if (ns) {
		apic_timer_within_ns(ns);
		trap_wait(&wake);
		for (d = netdev_next(NULL); d && !wake; d = netdev_next(d))
			d->look = true;
	}
	plat_irq_enable();
}

/* True while a connection or a NIC still has something of ours to deliver. */
static bool busy(void)
{
	const struct tcp_pcb *pcb;
	struct netdev *d;

	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		if (pcb->state != TIME_WAIT)
			return true;
	for (d = netdev_next(NULL); d; d = netdev_next(d))
		if (netdev_tx_inflight(d))
			return true;
	return false;
}

void net_drain(uint64_t timeout_ns)
{
	uint64_t deadline = net_now_ns() + timeout_ns;

	net_poll();
	while (busy() && net_now_ns() < deadline)
		net_wait(deadline);
}

void net_idle(uint64_t ns)
{
	static const volatile int never;

	plat_irq_disable();
	apic_timer_start_ns(ns);
	trap_wait(&never); /* returns after the first interrupt handled */
}
