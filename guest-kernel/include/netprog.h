/* What the network programs share (programs/netprog.c): arguments, the ready line, listening. */
#ifndef GK_NETPROG_H
#define GK_NETPROG_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/tcp.h"

#define NETPROG_READY_NS 30000000000ull /* how long a program waits for a DHCP lease */
#define NETPROG_DRAIN_NS 10000000000ull /* how long a server lingers to deliver its last bytes */

/*
 * For servers: argv "[PORT] [--count N]" (PORT when port is not NULL; N >= 1,
 * or 0 in *count: serve for ever).  false, after the usage line, if malformed.
 */
bool netprog_server_args(int argc, char **argv, const char *usage, uint16_t *port,
			 uint64_t *count);
/* A server's ready line, "PROG: listening on ADDR port PORT": clients may start. */
void netprog_listening(const char *prog, uint16_t port);
/*
 * A TCP listener on port whose connections go to accept with arg, after the
 * ready line; NULL, and a message, if there is none.
 */
struct tcp_pcb *netprog_tcp_listen(const char *prog, uint16_t port, tcp_accept_fn accept,
				   void *arg);
/* What every connection of a TCP server program starts with. */
struct netprog_conn {
	struct tcp_pcb *pcb;
	void *server; /* the listener's arg */
	char peer[24];  /* "10.0.0.1:40000" */
};

/*
 * For a server's accept callback: a zeroed connection of size bytes (which
 * starts with struct netprog_conn), pcb's callbacks pointed at it; NULL when
 * out of memory (return ERR_MEM: lwIP aborts the connection).
 */
void *netprog_tcp_accept(struct tcp_pcb *pcb, void *server, size_t size, tcp_recv_fn recv,
			 tcp_sent_fn sent, tcp_err_fn err);
/* Closes pcb gracefully (hard if lwIP has no memory for the FIN); no callback runs after. */
void netprog_tcp_close(struct tcp_pcb *pcb);

/* "10.0.0.1:40000" */
void netprog_peer_str(const ip_addr_t *a, uint16_t port, char *buf, unsigned len);

#endif
