/* Helpers the network programs share (netprog.h). */
#include "netprog.h"

#include "lib.h"
#include "lwip/ip4_addr.h"
#include "mm.h"
#include "netstack.h"
#include "netdev.h"

bool netprog_server_args(int argc, char **argv, const char *usage, uint16_t *port,
			 uint64_t *count)
{
	bool have_port = !port;
	uint64_t v;
	int i;

	*count = 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc && !parse_u64(argv[i + 1], &v) && v) {
			*count = v;
			i++;
		} else if (!have_port && !parse_u64(argv[i], &v) && v && v <= 65535) {
			*port = (uint16_t)v;
			have_port = true;
		} else {
			break;
		}
	}
	if (i < argc || !have_port) {
		printf("usage: %s\n", usage);
		return false;
	}
	return true;
}

void netprog_listening(const char *prog, uint16_t port)
{
	char a[16];

	ip4addr_ntoa_r(netif_ip4_addr(&net_configured()->netif), a, sizeof(a));
	printf("%s: listening on %s port %u\n", prog, a, port);
}

struct tcp_pcb *netprog_tcp_listen(const char *prog, uint16_t port, tcp_accept_fn accept,
				   void *arg)
{
	struct tcp_pcb *pcb = tcp_new(), *l;

	if (!pcb || tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
		printf("%s: cannot bind port %u\n", prog, port);
		if (pcb)
			tcp_close(pcb);
		return NULL;
	}
	l = tcp_listen(pcb); /* frees pcb */
	if (!l) {
		printf("%s: out of memory\n", prog);
		tcp_close(pcb);
		return NULL;
	}
	tcp_arg(l, arg);
	tcp_accept(l, accept);
	netprog_listening(prog, port);
	return l;
}

void netprog_peer_str(const ip_addr_t *a, uint16_t port, char *buf, unsigned len)
{
	char s[16];

	ipaddr_ntoa_r(a, s, sizeof(s));
	snprintf(buf, len, "%s:%u", s, port);
}

void *netprog_tcp_accept(struct tcp_pcb *pcb, void *server, size_t size, tcp_recv_fn recv,
			 tcp_sent_fn sent, tcp_err_fn err)
{
	struct netprog_conn *c = kzalloc(size);

	if (!c)
		return NULL;
	c->pcb = pcb;
	c->server = server;
	netprog_peer_str(&pcb->remote_ip, pcb->remote_port, c->peer, sizeof(c->peer));
	tcp_arg(pcb, c);
	tcp_recv(pcb, recv);
	tcp_sent(pcb, sent);
	tcp_err(pcb, err);
	return c;
}

void netprog_tcp_close(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}
