/*
 * udpecho and tcpecho: every datagram, every byte of every connection sent
 * back as it came, on lwIP's raw API; for ever, or until --count N
 * datagrams or connections.  TCP flow control is the echo's own: received
 * bytes open the window only once they are in the send buffer, so a 10 MB
 * stream needs no more memory than one window each way.
 */
#include "lib.h"
#include "lwip/ip4_addr.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "mm.h"
#include "netstack.h"
#include "netprog.h"
#include "programs.h"

struct echo_server {
	uint64_t count, done;  /* datagrams or connections: wanted (0: for ever), done */
	uint64_t bytes;
};

static void serve(struct echo_server *s)
{
	while (!s->count || s->done < s->count)
		net_wait(UINT64_MAX);
}

/* ---- UDP --------------------------------------------------------------------- */

static void on_datagram(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			u16_t port)
{
	struct echo_server *s = arg;

	if (!s->count || s->done < s->count) {
		s->bytes += p->tot_len;
		s->done++;
		udp_sendto(pcb, p, addr, port);
	}
	pbuf_free(p);
}

int cmd_udpecho(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct echo_server s = { 0 };
	struct udp_pcb *pcb;
	uint16_t port;

	(void)bi;
	if (!netprog_server_args(argc, argv, "udpecho PORT [--count N]", &port, &s.count))
		return 2;
	if (!net_ready("udpecho", NETPROG_READY_NS))
		return 1;
	pcb = udp_new();
	if (!pcb || udp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
		printf("udpecho: cannot bind port %u\n", port);
		return 1;
	}
	udp_recv(pcb, on_datagram, &s);
	netprog_listening("udpecho", port);
	serve(&s);
	net_drain(NETPROG_DRAIN_NS);
	udp_remove(pcb);
	printf("udpecho: %lu datagrams, %lu bytes echoed\n", s.done, s.bytes);
	return 0;
}

/* ---- TCP --------------------------------------------------------------------- */

struct echo_conn {
	struct netprog_conn conn;
	struct pbuf *pending; /* received, not yet in the send buffer */
	uint16_t off;         /* bytes of pending's first pbuf already written */
	bool peer_done;       /* the client sent FIN */
	uint64_t bytes;
};

static void conn_end(struct echo_conn *c, const char *how)
{
	struct echo_server *s = c->conn.server;

	printf("tcpecho: %s %s, %lu bytes echoed\n", c->conn.peer, how, c->bytes);
	s->bytes += c->bytes;
	s->done++;
	if (c->pending)
		pbuf_free(c->pending);
	kfree(c);
}

/* Moves pending bytes into the send buffer as far as it has room. */
static void echo_some(struct echo_conn *c)
{
	u16_t room, n;

	while (c->pending && (room = tcp_sndbuf(c->conn.pcb)) > 0) {
		struct pbuf *q = c->pending;

		n = (u16_t)(q->len - c->off) < room ? (u16_t)(q->len - c->off) : room;
		if (n && tcp_write(c->conn.pcb, (uint8_t *)q->payload + c->off, n,
				   TCP_WRITE_FLAG_COPY) != ERR_OK)
			break; /* the segment queue is full: the sent callback comes back */
		c->off = (uint16_t)(c->off + n);
		c->bytes += n;
		tcp_recved(c->conn.pcb, n); /* now the client may send that much more */
		if (c->off == q->len) {
			c->pending = q->next;
			if (c->pending)
				pbuf_ref(c->pending);
			pbuf_free(q); /* frees the head alone: the rest has our new reference */
			c->off = 0;
		}
	}
	tcp_output(c->conn.pcb);
	if (c->peer_done && !c->pending) {
		netprog_tcp_close(c->conn.pcb);
		conn_end(c, "closed");
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct echo_conn *c = arg;

	(void)pcb, (void)err;
	if (!p)
		c->peer_done = true;
	else if (c->pending)
		pbuf_cat(c->pending, p);
	else
		c->pending = p;
	echo_some(c);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb, (void)len;
	echo_some(arg);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	(void)err;
	conn_end(arg, "reset"); /* lwIP has freed the pcb */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (!netprog_tcp_accept(pcb, arg, sizeof(struct echo_conn), on_recv, on_sent, on_err))
		return ERR_MEM;
	tcp_nagle_disable(pcb); /* an echo answers at once */
	return ERR_OK;
}

int cmd_tcpecho(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct echo_server s = { 0 };
	struct tcp_pcb *l;
	uint16_t port;

	(void)bi;
	if (!netprog_server_args(argc, argv, "tcpecho PORT [--count N]", &port, &s.count))
		return 2;
	if (!net_ready("tcpecho", NETPROG_READY_NS))
		return 1;
	l = netprog_tcp_listen("tcpecho", port, on_accept, &s);
	if (!l)
		return 1;
	serve(&s);
	tcp_close(l);
	net_drain(NETPROG_DRAIN_NS);
	printf("tcpecho: %lu connections, %lu bytes echoed\n", s.done, s.bytes);
	return 0;
}
