/*
 * netloop DEV N [--window W]: for hv's loop backend (--net loop,
 * --trap-net loop), where every frame sent comes back received.  Sends N
 * frames of random sizes, 14..MTU+14 bytes, each carrying its sequence
 * number and a pattern derived from it, at most W in flight, and checks
 * that each comes back whole, in order, byte for byte.  lwIP is bypassed
 * both ways: frames go straight to the driver (netif.linkoutput) and come
 * back through netif.input, which netloop takes over while it runs.
 */
#include "hv_net.h"
#include "lib.h"
#include "lwip/pbuf.h"
#include "netstack.h"
#include "netdev.h"
#include "programs.h"

#define ETHERTYPE_LOCAL 0x88b5 /* IEEE 802 local experimental */
#define WINDOW_MAX 256
/*
 * Nothing back this long: the frames in flight are written off as lost.
 * Long, because the loop backend never loses a frame of a window (its queue
 * holds 256): only a host that deschedules the guest for seconds gets here.
 */
#define STALL_NS 5000000000ull
#define MAX_STALLS 3            /* stalls in a row that end the run */

static struct {
	struct netdev *d;
	uint64_t sent;                /* frames sent: sequence numbers 0..sent-1 */
	uint64_t next;                /* the sequence number expected back next */
	uint16_t len[WINDOW_MAX];     /* lengths sent, by sequence number mod WINDOW_MAX */
	uint64_t intact, corrupt, lost, late, foreign, bytes;
	uint8_t want[HV_NET_MAX_FRAME], got[HV_NET_MAX_FRAME];
} lp;

/*
 * Frame seq of len bytes: to our own MAC, from 02:00 + seq (32 bits), the
 * local ethertype, then xorshift bytes seeded by seq.  Frames shorter than
 * the header carry only as much of it as fits.
 */
static void make_frame(uint8_t *f, uint64_t seq, unsigned len)
{
	uint8_t hdr[HV_NET_ETH_HLEN] = { 0, 0, 0, 0, 0, 0, 0x02, 0x00, (uint8_t)(seq >> 24),
					  (uint8_t)(seq >> 16), (uint8_t)(seq >> 8), (uint8_t)seq,
					  ETHERTYPE_LOCAL >> 8, ETHERTYPE_LOCAL & 0xff };
	uint64_t x = seq * 0x9e3779b97f4a7c15ull + 1;
	unsigned i;

	memcpy(hdr, lp.d->mac, 6);
	memcpy(f, hdr, HV_NET_ETH_HLEN);
	for (i = HV_NET_ETH_HLEN; i < len; i++) {
		if ((i - HV_NET_ETH_HLEN) % 8 == 0) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		f[i] = (uint8_t)(x >> ((i - HV_NET_ETH_HLEN) % 8 * 8));
	}
}

/* Every frame that comes back (netif.input while netloop runs). */
static err_t on_frame(struct pbuf *p, struct netif *n)
{
	unsigned len = p->tot_len;
	uint64_t seq;
	uint32_t wire;

	(void)n;
	pbuf_copy_partial(p, lp.got, (u16_t)len, 0);
	pbuf_free(p);
	if (len < HV_NET_ETH_HLEN || memcmp(lp.got, lp.d->mac, 6) || lp.got[6] != 0x02 ||
	    lp.got[7] != 0x00 || lp.got[12] != ETHERTYPE_LOCAL >> 8 ||
	    lp.got[13] != (ETHERTYPE_LOCAL & 0xff)) {
		lp.foreign++; /* not ours (or its header is damaged) */
		return ERR_OK;
	}
	/* 32 bits on the wire: the nearest sequence number to the expected one. */
	wire = (uint32_t)(lp.got[8] << 24 | lp.got[9] << 16 | lp.got[10] << 8 | lp.got[11]);
	if ((uint32_t)(wire - (uint32_t)lp.next) >= 0x80000000u) {
		lp.late++; /* already written off as lost (a stall), or a duplicate */
		return ERR_OK;
	}
	seq = lp.next + (uint32_t)(wire - (uint32_t)lp.next);
	if (seq >= lp.sent) {
		lp.corrupt++; /* a frame never sent */
		return ERR_OK;
	}
	lp.lost += seq - lp.next;
	lp.next = seq + 1;
	make_frame(lp.want, seq, lp.len[seq % WINDOW_MAX]);
	if (len == lp.len[seq % WINDOW_MAX] && !memcmp(lp.want, lp.got, len)) {
		lp.intact++;
		lp.bytes += len;
	} else {
		lp.corrupt++;
	}
	return ERR_OK;
}

static uint32_t rand_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 32);
}

static bool parse_args(int argc, char **argv, uint64_t *n, uint64_t *window)
{
	if (argc == 5 && !strcmp(argv[3], "--window")) {
		if (parse_u64(argv[4], window) || !*window || *window > WINDOW_MAX)
			return false;
	} else if (argc != 3) {
		return false;
	}
	return !parse_u64(argv[2], n) && *n;
}

int cmd_netloop(const struct hv_boot_info *bi, int argc, char **argv)
{
	struct netdev *d = argc > 1 ? netdev_find(argv[1]) : NULL;
	uint64_t n = 0, window = 8, rng = 0x2545f4914f6cdd1dull;
	uint64_t t0, last_progress, done, ns;
	unsigned stalls = 0;
	netif_input_fn saved;

	(void)bi;
	if (!d || !parse_args(argc, argv, &n, &window)) {
		printf("usage: netloop DEV N [--window W]   (W 1..%u, default 8; hv's loop backend)\n",
		       WINDOW_MAX);
		return 2;
	}
	memset(&lp, 0, sizeof(lp));
	lp.d = d;
	saved = d->netif.input;
	d->netif.input = on_frame;
	t0 = last_progress = net_now_ns();
	while (stalls < MAX_STALLS) {
		done = lp.intact + lp.corrupt + lp.lost;
		while (lp.sent < n && lp.sent - lp.next < window) {
			unsigned len = HV_NET_ETH_HLEN + rand_next(&rng) % (d->mtu + 1u);
			struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);

			if (!p)
				break;
			lp.len[lp.sent % WINDOW_MAX] = (uint16_t)len;
			make_frame(p->payload, lp.sent, len);
			d->netif.linkoutput(&d->netif, p); /* a refused frame shows up as lost */
			pbuf_free(p);
			lp.sent++;
		}
		if (lp.next >= n)
			break;
		net_wait(net_now_ns() + STALL_NS / 4);
		if (lp.intact + lp.corrupt + lp.lost != done) {
			last_progress = net_now_ns();
			stalls = 0;
		} else if (net_now_ns() - last_progress > STALL_NS) {
			/* Written off: the window moves on (a dead NIC ends it after a few). */
			lp.lost += lp.sent - lp.next;
			lp.next = lp.sent;
			last_progress = net_now_ns();
			stalls++;
		}
	}
	ns = net_now_ns() - t0;
	lp.lost += n - lp.next; /* never sent, or never came back */
	d->netif.input = saved;
	printf("netloop: %s %lu frames sent, %lu back intact, %lu corrupt, %lu lost, %lu late, "
	       "%lu foreign, %lu bytes, %lu ms, %lu frames/s\n", d->name, lp.sent, lp.intact,
	       lp.corrupt, lp.lost, lp.late, lp.foreign, lp.bytes, ns / 1000000, ns ? lp.intact * 1000000000 / ns : 0);
	printf("netloop: %s %lu interrupts, %lu recovered by timeout\n", d->name, d->st.irqs,
	       d->st.recovered); /* a lost interrupt is survived by the loop's bounded wait */
	return lp.intact == n ? 0 : 1;
}
