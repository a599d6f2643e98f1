/*
 * httpd PORT [--count N]: a small HTTP/1.0 server on lwIP's raw API.
 * GET / answers a status page; GET /bytes/N answers exactly N bytes of
 * byte i = i % 251 (a prime, so no TCP segment size lines up with it), sent
 * zero-copy from one static pattern; every response closes the connection.
 */
#include "lib.h"
#include "lwip/tcp.h"
#include "mm.h"
#include "netstack.h"
#include "netdev.h"
#include "netprog.h"
#include "programs.h"

#define PATTERN_PERIOD 251
#define PATTERN_CHUNK 16384 /* bytes per tcp_write at most */
#define REQ_MAX 1024        /* request head bytes kept; the rest is ignored */
#define PAGE_MAX 2048       /* the status page */

static uint8_t pattern[PATTERN_PERIOD + PATTERN_CHUNK]; /* pattern[i] = i % 251 */

struct httpd {
	uint64_t count, done; /* connections wanted (0: for ever), answered */
};

struct http_conn {
	struct netprog_conn conn;
	char req[REQ_MAX + 1];
	unsigned req_len;
	bool answered;       /* the response is under way: later input is ignored */
	char *head;          /* headers, then the page for GET / (kmalloc'd) */
	unsigned head_len, head_off;
	uint64_t body_len, body_off; /* the pattern body of /bytes/N */
	uint64_t length;             /* Content-Length, for the log */
	char what[64];
	unsigned status;
};

static void conn_free(struct http_conn *c)
{
	kfree(c->head);
	kfree(c);
}

static void conn_done(struct http_conn *c, const char *how)
{
	printf("httpd: %s \"%s\" %u %lu bytes%s\n", c->conn.peer, c->what, c->status, c->length,
	       how);
	((struct httpd *)c->conn.server)->done++;
	conn_free(c);
}

/* Writes as much of the response as the send buffer takes; closes after the last byte. */
static void send_more(struct http_conn *c)
{
	struct tcp_pcb *pcb = c->conn.pcb;

	while (c->head_off < c->head_len && tcp_sndbuf(pcb)) {
		u16_t n = (u16_t)(c->head_len - c->head_off);

		n = n < tcp_sndbuf(pcb) ? n : tcp_sndbuf(pcb);
		if (tcp_write(pcb, c->head + c->head_off, n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		c->head_off += n;
	}
	while (c->head_off == c->head_len && c->body_off < c->body_len && tcp_sndbuf(pcb)) {
		uint64_t left = c->body_len - c->body_off;
		u16_t n = left < PATTERN_CHUNK ? (u16_t)left : PATTERN_CHUNK;

		n = n < tcp_sndbuf(pcb) ? n : tcp_sndbuf(pcb);
		/* No copy: the pattern is static, and stays until acknowledged. */
		if (tcp_write(pcb, pattern + c->body_off % PATTERN_PERIOD, n, 0) != ERR_OK)
			break;
		c->body_off += n;
	}
	tcp_output(pcb);
	if (c->head_off == c->head_len && c->body_off == c->body_len) {
		netprog_tcp_close(pcb);
		conn_done(c, "");
	}
}

/* The status page: who answers, and every NIC's address and counters. */
static unsigned status_page(char *buf, unsigned len)
{
	struct netdev *d;
	char addr[48];
	unsigned n;

	n = (unsigned)snprintf(buf, len, "hv guest httpd\n");
	for (d = netdev_next(NULL); d && n < len; d = netdev_next(d)) {
		net_addr_str(d, addr, sizeof(addr));
		n += (unsigned)snprintf(buf + n, len - n,
					"%s %s path %s rx %lu frames %lu bytes tx %lu frames %lu bytes\n",
					d->name, addr, d->path, d->st.rx_frames, d->st.rx_bytes,
					d->st.tx_frames, d->st.tx_bytes);
	}
	return n < len ? n : len - 1;
}

/* Builds the response for the request line in c->req. */
static void answer(struct http_conn *c)
{
	char *path = c->req, *end, page[PAGE_MAX];
	const char *reason = "OK", *type = "text/plain";
	unsigned page_len = 0, i;
	uint64_t n;

	for (end = c->req; *end && *end != '\r' && *end != '\n'; end++)
		;
	*end = '\0';
	snprintf(c->what, sizeof(c->what), "%s", c->req);
	c->status = 200;
	if (strncmp(c->req, "GET ", 4)) {
		c->status = 405, reason = "Method Not Allowed";
	} else {
		path += 4;
		for (i = 0; path[i] && path[i] != ' '; i++)
			;
		path[i] = '\0';
		if (!strcmp(path, "/")) {
			page_len = status_page(page, sizeof(page));
		} else if (!strncmp(path, "/bytes/", 7) && !parse_u64(path + 7, &n)) {
			c->body_len = n;
			type = "application/octet-stream";
		} else {
			c->status = 404, reason = "Not Found";
		}
	}
	c->head = kmalloc(256 + page_len);
	if (!c->head) {
		c->head_len = 0;
		c->body_len = 0;
		return;
	}
	c->length = page_len ? page_len : c->body_len;
	c->head_len = (unsigned)snprintf(c->head, 256, "HTTP/1.0 %u %s\r\nServer: hv-guest\r\n"
					 "Content-Type: %s\r\nContent-Length: %lu\r\n"
					 "Connection: close\r\n\r\n", c->status, reason, type,
					 c->length);
	memcpy(c->head + c->head_len, page, page_len);
	c->head_len += page_len;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct http_conn *c = arg;
	unsigned take;

	(void)err;
	if (!p) { /* the client closed before the whole request came */
		netprog_tcp_close(pcb);
		conn_done(c, " (no request)");
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	if (!c->answered) {
		take = p->tot_len < REQ_MAX - c->req_len ? p->tot_len : REQ_MAX - c->req_len;
		pbuf_copy_partial(p, c->req + c->req_len, (u16_t)take, 0);
		c->req_len += take;
		c->req[c->req_len] = '\0';
		/* The head ends with an empty line; a head too long is answered as it is. */
		if (c->req_len == REQ_MAX || lwip_strnstr(c->req, "\r\n\r\n", c->req_len) ||
		    lwip_strnstr(c->req, "\n\n", c->req_len)) {
			c->answered = true;
			answer(c);
			pbuf_free(p);
			send_more(c);
			return ERR_OK;
		}
	}
	pbuf_free(p);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb, (void)len;
	send_more(arg);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	(void)err;
	conn_done(arg, " (reset)"); /* lwIP has freed the pcb */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	return netprog_tcp_accept(pcb, arg, sizeof(struct http_conn), on_recv, on_sent, on_err)
		       ? ERR_OK
		       : ERR_MEM;
}

int cmd_httpd(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct httpd s = { 0 };
	struct tcp_pcb *l;
	uint16_t port;
	unsigned i;

	(void)bi;
	if (!netprog_server_args(argc, argv, "httpd PORT [--count N]", &port, &s.count))
		return 2;
	if (!net_ready("httpd", NETPROG_READY_NS))
		return 1;
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i % PATTERN_PERIOD);
	l = netprog_tcp_listen("httpd", port, on_accept, &s);
	if (!l)
		return 1;
	while (!s.count || s.done < s.count)
		net_wait(UINT64_MAX);
	tcp_close(l);
	net_drain(NETPROG_DRAIN_NS);
	printf("httpd: %lu connections\n", s.done);
	return 0;
}
