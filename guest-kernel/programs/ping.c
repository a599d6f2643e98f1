/*
 * ping ADDR [COUNT] [--interval MS]: ICMP echo through lwIP's raw API, one
 * request in flight, one sent every interval (1000 ms, as ping(8)); a reply
 * later than the interval counts as lost. Prints each reply's round trip and a
 * summary; exit 0 if any came back.
 */
#include "lib.h"
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip4_addr.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "netstack.h"
#include "netprog.h"
#include "programs.h"

#define PING_DATA 56              /* payload bytes, as ping(8)'s default */
#define PING_INTERVAL_MS 1000

struct ping {
	uint16_t id, seq;       /* the request in flight */
	uint64_t sent_ns;
	bool replied;
	uint64_t rtt_ns, ttl;
};

/* Every ICMP packet in: keep the echo reply to our request, let lwIP have the rest. */
static u8_t on_icmp(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	struct ping *s = arg;
	struct icmp_echo_hdr h;
	struct ip_hdr iph;
	uint16_t hlen;

	(void)pcb, (void)addr;
	if (pbuf_copy_partial(p, &iph, sizeof(iph), 0) != sizeof(iph))
		return 0;
	hlen = (uint16_t)(IPH_HL(&iph) * 4);
	if (pbuf_copy_partial(p, &h, sizeof(h), hlen) != sizeof(h) || h.type != ICMP_ER ||
	    h.id != lwip_htons(s->id) || h.seqno != lwip_htons(s->seq) || s->replied)
		return 0;
	s->rtt_ns = net_now_ns() - s->sent_ns;
	s->ttl = IPH_TTL(&iph);
	s->replied = true;
	pbuf_free(p);
	return 1;
}

/* Sends the next request; lwIP's verdict. */
static err_t send_echo(struct raw_pcb *pcb, const ip_addr_t *to, struct ping *s)
{
	struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA, PBUF_RAM);
	struct icmp_echo_hdr *h;
	err_t e;
	unsigned i;

	if (!p)
		return ERR_MEM;
	h = p->payload;
	h->type = ICMP_ECHO;
	h->code = 0;
	h->chksum = 0;
	h->id = lwip_htons(s->id);
	h->seqno = lwip_htons(s->seq);
	for (i = 0; i < PING_DATA; i++)
		((uint8_t *)(h + 1))[i] = (uint8_t)i;
	h->chksum = inet_chksum(h, sizeof(*h) + PING_DATA);
	s->replied = false;
	s->sent_ns = net_now_ns();
	e = raw_sendto(pcb, p, to);
	pbuf_free(p);
	return e;
}

static const char *send_error(err_t e)
{
	if (e == ERR_RTE)
		return "no route: is the link down?";
	if (e == ERR_MEM || e == ERR_BUF)
		return "out of memory";
	return "lwIP error";
}

/* "1.234" from ns: milliseconds with three decimals. */
static void ms_str(uint64_t ns, char *buf, unsigned len)
{
	snprintf(buf, len, "%lu.%03lu", ns / 1000000, ns / 1000 % 1000);
}

int cmd_ping(const struct hv_boot_info *bi, int argc, char **argv)
{
	uint64_t count = 4, interval_ms = PING_INTERVAL_MS, interval_ns, next_ns;
	err_t e;
	uint64_t min = UINT64_MAX, max = 0, sum = 0, sent = 0, got = 0;
	char a[16], t1[24], t2[24], t3[24];
	struct ping s = { 0 };
	struct raw_pcb *pcb;
	ip_addr_t to;

	(void)bi;
	if (argc >= 4 && !strcmp(argv[argc - 2], "--interval")) {
		if (parse_u64(argv[argc - 1], &interval_ms) || !interval_ms || interval_ms > 60000)
			argc = 0; /* usage */
		argc -= 2;
	}
	if (argc < 2 || argc > 3 || !ipaddr_aton(argv[1], &to) ||
	    (argc == 3 && (parse_u64(argv[2], &count) || !count))) {
		printf("usage: ping ADDR [COUNT] [--interval MS]   (IPv4 address; COUNT >= 1, "
		       "default 4; MS 1 to 60000, default %u)\n", PING_INTERVAL_MS);
		return 2;
	}
	interval_ns = interval_ms * 1000000;
	if (!net_ready("ping", NETPROG_READY_NS))
		return 1;
	pcb = raw_new(IP_PROTO_ICMP);
	if (!pcb) {
		printf("ping: out of memory\n");
		return 1;
	}
	raw_recv(pcb, on_icmp, &s);
	s.id = (uint16_t)LWIP_RAND();
	ipaddr_ntoa_r(&to, a, sizeof(a));
	printf("PING %s: %u data bytes\n", a, PING_DATA);
	next_ns = net_now_ns();
	for (s.seq = 1; s.seq <= count; s.seq++) {
		while (net_now_ns() < next_ns) /* the interval since the last request */
			net_wait(next_ns);
		next_ns = net_now_ns() + interval_ns;
		e = send_echo(pcb, &to, &s);
		if (e != ERR_OK) {
			printf("ping: icmp_seq=%u: cannot send: %s (%d)\n", s.seq, send_error(e), e);
			continue;
		}
		sent++;
		while (!s.replied && net_now_ns() < next_ns)
			net_wait(next_ns);
		if (!s.replied) {
			printf("no reply from %s: icmp_seq=%u\n", a, s.seq);
			continue;
		}
		got++;
		sum += s.rtt_ns;
		min = s.rtt_ns < min ? s.rtt_ns : min;
		max = s.rtt_ns > max ? s.rtt_ns : max;
		ms_str(s.rtt_ns, t1, sizeof(t1));
		printf("%u bytes from %s: icmp_seq=%u ttl=%lu time=%s ms\n",
		       (unsigned)(sizeof(struct icmp_echo_hdr) + PING_DATA), a, s.seq, s.ttl, t1);
	}
	raw_remove(pcb);
	printf("--- %s ping statistics ---\n", a);
	printf("%lu packets transmitted, %lu received, %lu%% packet loss\n", sent, got,
	       sent ? (sent - got) * 100 / sent : 100);
	if (got) {
		ms_str(min, t1, sizeof(t1));
		ms_str(sum / got, t2, sizeof(t2));
		ms_str(max, t3, sizeof(t3));
		printf("rtt min/avg/max = %s/%s/%s ms\n", t1, t2, t3);
	}
	return got ? 0 : 1;
}
