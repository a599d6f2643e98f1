/*
 * The network stack as the kernel and the programs see it: lwIP runs in
 * one thread (NO_SYS), in whichever program turns the loop below; the
 * kernel parameters give one NIC its address.
 */
#ifndef GK_NETSTACK_H
#define GK_NETSTACK_H

#include <stdbool.h>
#include <stdint.h>

struct boot_args;
struct netdev;

/*
 * Applies the kernel parameters: ip=ADDR/PREFIX [gw=ADDR] gives a static
 * address, ip=dhcp starts DHCP, on the NIC net=NAME names (the first NIC
 * without it), which also carries the default route.  Says what it did
 * (or what is wrong) on one line; does nothing without ip=.
 */
void net_configure(const struct boot_args *b);
/* The NIC net_configure gave an address to (or is running DHCP on), or NULL. */
struct netdev *net_configured(void);
/*
 * Waits until the configured NIC has its address (at once when static, up
 * to timeout_ns for DHCP, then prints it); false, with a message naming
 * prog, when there is none.
 */
bool net_ready(const char *prog, uint64_t timeout_ns);

/* "10.0.0.2/24 gw 10.0.0.1", or "none" before d has an address. */
void net_addr_str(const struct netdev *d, char *buf, unsigned len);

/*
 * One turn: every NIC's frames into lwIP, lwIP's due timers, queued frames
 * out.  Returns how many frames and completions the NICs had.
 */
unsigned net_poll(void);
/*
 * A turn of net_poll; if it found nothing, halts until an interrupt,
 * lwIP's next timeout or deadline_ns (on net_now_ns's clock; UINT64_MAX:
 * none).  Programs loop on it until their condition holds.
 */
void net_wait(uint64_t deadline_ns);
/*
 * Before a program returns (the guest ends with it): turns the loop until
 * every TCP connection has delivered what it sent (closed, or waiting in
 * TIME_WAIT) and every NIC is done with its frames; at most timeout_ns.
 */
void net_drain(uint64_t timeout_ns);
/* For drivers waiting on their device: halts until any interrupt, at most ns. */
void net_idle(uint64_t ns);
/* Wakes the loop from an interrupt handler (netdev_irq). */
void net_wake(void);
/* Nanoseconds on the TSC, the loop's clock. */
uint64_t net_now_ns(void);

#endif
