/*
 * net-rr: UDP request/response latency, the benchmark's round trip.
 *   net-rr echo PORT [--count N]
 *       echoes datagrams on PORT (all addresses), N of them or for ever:
 *       the native baseline's server, as the guest's udpecho is the guest's.
 *   net-rr ping ADDR PORT [--count N] [--size B] [--json]
 *       sends N datagrams of B bytes (default 1000 of 64), one at a time,
 *       each carrying its sequence number; a reply with another number is
 *       skipped, none within 1 s counts the request lost.  Prints the round
 *       trip's p50, p99 and mean, and with --json one JSON line.  Exit 1 if
 *       more than M were lost (--max-lost M, default 0): UDP may lose a
 *       datagram on a loaded host, and a caller may count such a loss as a
 *       figure rather than a failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 1472 /* one frame at MTU 1500 */
#define REPLY_MS 1000

static void usage(void)
{
	fprintf(stderr, "usage: net-rr echo PORT [--count N]\n"
			"       net-rr ping ADDR PORT [--count N] [--size B] [--max-lost M] [--json]\n"
			"  (N >= 1; B 8..%d bytes)\n", MAX_SIZE);
	exit(2);
}

static unsigned long number(const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || *s == '-') {
		fprintf(stderr, "net-rr: '%s' is not a number in %lu..%lu\n", s, min, max);
		exit(2);
	}
	return v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("net-rr: socket");
		exit(1);
	}
	return fd;
}

static int echo(uint16_t port, unsigned long count)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned char buf[65536];
	unsigned long done = 0;
	int fd = udp_socket();

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "net-rr: bind port %u: %s\n", port, strerror(errno));
		return 1;
	}
	printf("net-rr: echoing on port %u\n", port);
	fflush(stdout);
	while (!count || done < count) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("net-rr: recvfrom");
			return 1;
		}
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) < 0)
			perror("net-rr: sendto");
		done++;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Waits for the reply numbered seq; its round trip, or 0 if none came in time. */
static uint64_t one_reply(int fd, uint64_t seq, uint64_t sent)
{
	unsigned char buf[MAX_SIZE];
	uint64_t deadline = sent + REPLY_MS * 1000000ull, t, got;

	while ((t = now_ns()) < deadline) {
		struct pollfd p = { fd, POLLIN, 0 };
		int ms = (int)((deadline - t) / 1000000) + 1;
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		t = now_ns();
		if (n < (ssize_t)sizeof(got))
			continue; /* an ICMP error (ECONNREFUSED) or a runt: wait on */
		memcpy(&got, buf, sizeof(got));
		if (got == seq)
			return t - sent ? t - sent : 1;
	}
	return 0;
}

static int ping(const char *addr, uint16_t port, unsigned long count, unsigned long size,
		unsigned long max_lost, int json)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned char buf[MAX_SIZE];
	uint64_t *rtt = calloc(count, sizeof(*rtt)), sum = 0, t0, seq;
	unsigned long got = 0;
	int fd = udp_socket();

	if (!rtt || inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		fprintf(stderr, "net-rr: %s\n", rtt ? "not an IPv4 address" : "out of memory");
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "net-rr: connect %s:%u: %s\n", addr, port, strerror(errno));
		return 1;
	}
	for (unsigned long i = 0; i < size; i++)
		buf[i] = (unsigned char)i;
	t0 = now_ns();
	for (seq = 0; seq < count; seq++) {
		uint64_t sent, r;

		memcpy(buf, &seq, sizeof(seq));
		sent = now_ns();
		if (send(fd, buf, size, 0) < 0 && errno != ECONNREFUSED) {
			perror("net-rr: send");
			return 1;
		}
		r = one_reply(fd, seq, sent);
		if (r) {
			rtt[got++] = r;
			sum += r;
		}
	}
	t0 = now_ns() - t0;
	qsort(rtt, got, sizeof(*rtt), cmp_u64);
#define PCT(p) (got ? rtt[(got - 1) * (p) / 100] / 1e3 : 0.0)
	printf("net-rr: %s:%u %lu requests of %lu bytes, %lu answered, %lu lost; round trip "
	       "p50 %.1f us, p99 %.1f us, mean %.1f us; %.0f round trips/s\n", addr, port, count,
	       size, got, count - got, PCT(50), PCT(99), got ? sum / 1e3 / got : 0.0,
	       got * 1e9 / (double)t0);
	if (json)
		printf("{\"requests\":%lu,\"size\":%lu,\"answered\":%lu,\"lost\":%lu,\"p50_us\":%.2f,"
		       "\"p99_us\":%.2f,\"mean_us\":%.2f,\"rr_per_s\":%.1f}\n", count, size, got,
		       count - got, PCT(50), PCT(99), got ? sum / 1e3 / got : 0.0,
		       got * 1e9 / (double)t0);
#undef PCT
	free(rtt);
	return count - got > max_lost ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long count = 0, size = 64, max_lost = 0;
	int json = 0, i, pos;

	if (argc < 3)
		usage();
	pos = !strcmp(argv[1], "echo") ? 3 : !strcmp(argv[1], "ping") ? 4 : 0;
	if (!pos || argc < pos)
		usage();
	for (i = pos; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = number(argv[++i], 1, 100000000);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc && pos == 4)
			size = number(argv[++i], 8, MAX_SIZE);
		else if (!strcmp(argv[i], "--max-lost") && i + 1 < argc && pos == 4)
			max_lost = number(argv[++i], 0, 100000000);
		else if (!strcmp(argv[i], "--json") && pos == 4)
			json = 1;
		else
			usage();
	}
	if (pos == 3)
		return echo((uint16_t)number(argv[2], 1, 65535), count);
	return ping(argv[2], (uint16_t)number(argv[3], 1, 65535), count ? count : 1000, size,
		    max_lost, json);
}
