/* Trap NIC: its registers, and its sends and receives (I/O thread). */
#include "trap/trapnet_dev.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/device.h"
#include "core/util.h"
#include "snap/snap_dev.h"
#include "core/vm.h"
#include "trace/trace.h"

_Static_assert(offsetof(struct trapnet_dev, tr) == 0, "the device pointer is the transport's");
_Static_assert(HV_TRAPNET_ST_BUSY == TRAP_ST_BUSY, "TX_ and RX_STATUS are channel statuses");
_Static_assert((int)TRAPNET_RX == (int)LATHIST_RX && (int)TRAPNET_TX == (int)LATHIST_TX,
	       "lat[] is by channel and by direction alike");

static bool link_up(const struct trapnet_dev *t)
{
	return net_link_up(t->net.link);
}

/* The thread that noticed: LINK changed (down, up, or gone for good); ISR.LINK says so. */
static void link_changed(void *ctx, enum net_link_state now)
{
	(void)now;
	trap_raise(&((struct trapnet_dev *)ctx)->tr, HV_TRAPNET_INT_LINK);
}

/* ---- I/O thread: the send and the receive ------------------------------------------- */

/* Under the lock, as a send or a receive ends (trap_ops.finished). */
static void finished(void *dev, unsigned chan, uint32_t status, uint32_t len)
{
	struct trapnet_dev *t = dev;
	struct trapnet_dev_stats *s = &t->st[chan];

	/* 0: no frame of the I/O thread's (a signal_err end), or not timed */
	lathist_end(&t->lat[chan], t->lat_start[chan]);
	t->lat_start[chan] = 0;
	if (status == HV_NET_S_OK) {
		stat_add(&s->frames, 1);
		stat_add(&s->bytes, len);
	} else if (status == HV_NET_S_BADREQ) {
		stat_add(&s->bad, 1);
	} else {
		stat_add(&s->errors, 1);
	}
	if (chan == TRAPNET_RX)
		t->rx_frame = len;
}

/*
 * A backend that is gone takes the link down for good; what was under way
 * ends LINK_DOWN, as does a failure while the link is down (a tap set down
 * refuses sends with EIO).
 */
static uint32_t host_error(struct trapnet_dev *t, int res)
{
	if (res < 0 && net_gone(res))
		net_link_lost(t->net.link);
	return res < 0 && !link_up(t) ? HV_NET_S_LINK_DOWN : HV_NET_S_IOERR;
}

static void tx_done(struct ioeng_op *op, int res)
{
	struct trapnet_dev *t = container_of(op, struct trapnet_dev, tx_op);

	trap_trace(&t->tr, TRAPNET_TX, TR_CQE, (uint32_t)res);
	if (res >= 0 && (uint32_t)res == t->tx_run_len)
		trap_finish(&t->tr, TRAPNET_TX, HV_NET_S_OK, t->tx_run_len);
	else
		trap_finish(&t->tr, TRAPNET_TX, host_error(t, res), 0);
}

static void rx_done(struct ioeng_op *op, int res)
{
	struct trapnet_dev *t = container_of(op, struct trapnet_dev, rx_op);

	trap_trace(&t->tr, TRAPNET_RX, TR_CQE, (uint32_t)res);
	if (res >= HV_NET_MIN_FRAME) {
		/* The frame is read: hv's part starts. */
		t->lat_start[TRAPNET_RX] = lathist_start(&t->lat[TRAPNET_RX]);
		trace_pcap(&t->tr, &t->rx_iov, 1, (uint32_t)res); /* --pcap trapnetN */
		trap_finish(&t->tr, TRAPNET_RX, HV_NET_S_OK, (uint32_t)res);
	} else {
		trap_finish(&t->tr, TRAPNET_RX, host_error(t, res), 0);
	}
}

/* The latched send: the same rules as a PV TX request of one segment. */
static void start_tx(void *dev, struct ioeng *e)
{
	struct trapnet_dev *t = dev;
	void *p = NULL;

	t->lat_start[TRAPNET_TX] = lathist_start(&t->lat[TRAPNET_TX]);
	if (t->tx_run_len >= HV_NET_MIN_FRAME &&
	    t->tx_run_len <= (uint32_t)t->mtu + HV_NET_ETH_HLEN)
		p = gm_range(t->tr.mem, t->tx_run_addr, t->tx_run_len);
	if (!p) {
		trap_finish(&t->tr, TRAPNET_TX, HV_NET_S_BADREQ, 0);
		return;
	}
	if (!link_up(t)) {
		trap_finish(&t->tr, TRAPNET_TX, HV_NET_S_LINK_DOWN, 0);
		return;
	}
	t->tx_iov = (struct iovec){ p, t->tx_run_len };
	t->tx_op.cb = tx_done;
	trace_pcap(&t->tr, &t->tx_iov, 1, t->tx_run_len); /* --pcap trapnetN */
	if (net_send(e, &t->net, &t->tx_iov, 1, &t->tx_op))
		trap_finish(&t->tr, TRAPNET_TX, HV_NET_S_IOERR, 0);
	else
		trap_trace(&t->tr, TRAPNET_TX, TR_SQE, 0);
}

/* The latched buffer: big enough for a whole frame, inside RAM. */
static void start_rx(void *dev, struct ioeng *e)
{
	struct trapnet_dev *t = dev;
	void *p = NULL;

	if (t->rx_run_len >= (uint32_t)t->mtu + HV_NET_ETH_HLEN &&
	    t->rx_run_len <= HV_NET_MAX_FRAME)
		p = gm_range(t->tr.mem, t->rx_run_addr, t->rx_run_len);
	if (!p) {
		trap_finish(&t->tr, TRAPNET_RX, HV_NET_S_BADREQ, 0);
		return;
	}
	/* A link that is only down keeps the buffer waiting: frames come once it is up. */
	if (net_link_state(t->net.link) == NET_LINK_GONE) {
		trap_finish(&t->tr, TRAPNET_RX, HV_NET_S_LINK_DOWN, 0);
		return;
	}
	t->rx_iov = (struct iovec){ p, t->rx_run_len };
	t->rx_op.cb = rx_done;
	if (net_recv(e, &t->net, &t->rx_iov, 1, &t->rx_op))
		trap_finish(&t->tr, TRAPNET_RX, HV_NET_S_IOERR, 0);
	else
		trap_trace(&t->tr, TRAPNET_RX, TR_SQE, 0);
}

/* ---- vCPU thread: registers ---------------------------------------------------------- */

static uint64_t mac_lo(const void *dev)
{
	const uint8_t *m = ((const struct trapnet_dev *)dev)->mac;

	return (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
}

static uint64_t mac_hi(const void *dev)
{
	const uint8_t *m = ((const struct trapnet_dev *)dev)->mac;

	return (uint32_t)m[4] | (uint32_t)m[5] << 8;
}

static uint64_t mtu(const void *dev)
{
	return ((const struct trapnet_dev *)dev)->mtu;
}

static uint64_t link_reg(const void *dev)
{
	return link_up(dev);
}

#define U32(field) TRAP_U32(struct trapnet_dev, field)
#define U64(field) TRAP_U64(struct trapnet_dev, field)

static const struct trap_reg regs[] = {
	{ .off = HV_TRAPNET_R_MAGIC, .kind = TRAP_REG_CONST, .arg = HV_TRAPNET_MAGIC },
	{ .off = HV_TRAPNET_R_VERSION, .kind = TRAP_REG_CONST, .arg = HV_TRAPNET_VERSION },
	{ .off = HV_TRAPNET_R_MAC_LO, .kind = TRAP_REG_FN, .get = mac_lo },
	{ .off = HV_TRAPNET_R_MAC_HI, .kind = TRAP_REG_FN, .get = mac_hi },
	{ .off = HV_TRAPNET_R_MTU, .kind = TRAP_REG_FN, .get = mtu },
	{ .off = HV_TRAPNET_R_LINK, .kind = TRAP_REG_FN, .get = link_reg },
	{ .off = HV_TRAPNET_R_TX_ADDR, .kind = TRAP_REG_RW, .wide = true, .chan = TRAPNET_TX,
	  .arg = U64(tx_addr), .latch = U64(tx_run_addr) },
	{ .off = HV_TRAPNET_R_TX_LEN, .kind = TRAP_REG_RW, .chan = TRAPNET_TX, .arg = U32(tx_len),
	  .latch = U32(tx_run_len) },
	{ .off = HV_TRAPNET_R_TX_CMD, .kind = TRAP_REG_CMD, .chan = TRAPNET_TX,
	  .arg = HV_TRAPNET_CMD_SEND },
	{ .off = HV_TRAPNET_R_TX_STATUS, .kind = TRAP_REG_STATUS, .chan = TRAPNET_TX },
	{ .off = HV_TRAPNET_R_RX_ADDR, .kind = TRAP_REG_RW, .wide = true, .chan = TRAPNET_RX,
	  .arg = U64(rx_addr), .latch = U64(rx_run_addr) },
	{ .off = HV_TRAPNET_R_RX_LEN, .kind = TRAP_REG_RW, .chan = TRAPNET_RX, .arg = U32(rx_len),
	  .latch = U32(rx_run_len) },
	{ .off = HV_TRAPNET_R_RX_CMD, .kind = TRAP_REG_CMD, .chan = TRAPNET_RX,
	  .arg = HV_TRAPNET_CMD_POST },
	{ .off = HV_TRAPNET_R_RX_STATUS, .kind = TRAP_REG_STATUS, .chan = TRAPNET_RX },
	{ .off = HV_TRAPNET_R_RX_FRAME, .kind = TRAP_REG_RO, .arg = U32(rx_frame) },
	{ .off = HV_TRAPNET_R_ISR, .kind = TRAP_REG_ISR },
	{ .off = HV_TRAPNET_R_IER, .kind = TRAP_REG_IER },
	{ .off = HV_TRAPNET_R_VECTOR, .kind = TRAP_REG_VECTOR },
};

/* ---- setup and reports --------------------------------------------------------------- */

static int open_net(void *dev, unsigned index, const void *arg, struct hv_dev_desc *d,
		    char *err, size_t errlen)
{
	struct trapnet_dev *t = dev;
	const struct net_spec *spec = arg;
	int rc = net_open(&t->net, spec, err, errlen);
	char name[16];

	if (rc)
		return rc;
	net_spec_mac(spec, 1, index, t->mac);
	t->mtu = HV_NET_DEFAULT_MTU;
	snprintf(name, sizeof(name), "trapnet%u", index);
	net_link_bind(t->net.link, name, link_changed, t);
	d->type = HV_DEV_TRAPNET;
	d->index = (uint16_t)index;
	d->flags = link_up(t) ? HV_DEV_F_LINK_UP : 0;
	memcpy(d->cfg.net.mac, t->mac, 6);
	d->cfg.net.mtu = t->mtu;
	return 0;
}

static void close_net(void *dev)
{
	net_close(&((struct trapnet_dev *)dev)->net);
}

static void update_desc(const void *dev, struct hv_dev_desc *d)
{
	d->flags = link_up(dev) ? HV_DEV_F_LINK_UP : 0;
}

static void describe(FILE *f, const void *dev)
{
	const struct trapnet_dev *t = dev;

	fprintf(f, "%s %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u", t->net.ops->name,
		t->net.name, t->mac[0], t->mac[1], t->mac[2], t->mac[3], t->mac[4], t->mac[5],
		t->mtu);
}

static void print_stats(FILE *f, const void *dev)
{
	const struct trapnet_dev *t = dev;
	const struct trapnet_dev_stats *rx = &t->st[TRAPNET_RX], *tx = &t->st[TRAPNET_TX];

	fprintf(f, "%s): link %s; rx %llu frames, %llu bytes, %llu dropped, %llu bad, %llu errors; "
		   "tx %llu frames, %llu bytes, %llu bad, %llu errors; %llu link downs, "
		   "%llu link ups; ",
		t->net.name, link_up(t) ? "up" : "down", DEV_ULL(rx->frames),
		DEV_ULL(rx->bytes), DEV_ULL(t->net.lost),
		DEV_ULL(rx->bad), DEV_ULL(rx->errors),
		DEV_ULL(tx->frames), DEV_ULL(tx->bytes),
		DEV_ULL(tx->bad), DEV_ULL(tx->errors),
		DEV_ULL(t->net.link->downs), DEV_ULL(t->net.link->ups));
}

static const struct trap_ops trapnet_ops = {
	.size = sizeof(struct trapnet_dev),
	.window = HV_TRAPNET_WINDOW,
	.vec_base = TRAPNET_VEC_BASE,
	TRAP_REGS(regs),
	.int_mask = HV_TRAPNET_INT_TX | HV_TRAPNET_INT_RX | HV_TRAPNET_INT_LINK,
	.open = open_net,
	.close = close_net,
	.finished = finished,
	.describe = describe,
	.print_stats = print_stats,
	.chan = {
		/* The buffer first: a frame sent now may come straight back (loop). */
		[TRAPNET_RX] = { .int_bit = HV_TRAPNET_INT_RX, .idle = HV_TRAPNET_ST_IDLE,
				 .signal_err = HV_NET_S_IOERR, .run = start_rx, .name = "rx" },
		[TRAPNET_TX] = { .int_bit = HV_TRAPNET_INT_TX, .signal_err = HV_NET_S_IOERR,
				 .run = start_tx, .name = "tx" },
	},
};

/* The argument is parsed before anything is taken (the window, the backend). */
static int add(struct vm *vm, unsigned index, const char *arg, char *err, size_t errlen)
{
	struct net_spec spec;
	struct trapnet_dev *t;
	struct io_source *link;
	int rc = net_parse_spec(trapnet_dev_kind.option, arg, &spec, err, errlen);

	/* Room for the transport's source and the link watch's, checked before either. */
	if (!rc && vm->io.nr_src + 2 > IOTHREAD_MAX_SRC)
		rc = err_msg(-ENOSPC, err, errlen, "trapnet%u: cannot set up: %s", index,
			     strerror(ENOSPC));
	if (!rc)
		rc = trap_create(vm, &trapnet_dev_kind, &trapnet_ops, index, &spec, err, errlen);
	if (rc)
		return rc;
	t = vm_device(vm, &trapnet_dev_kind, index);
	if (fault_net_claim(vm->faults, "trapnet", index, &t->net))
		return err_msg(-ENOMEM, err, errlen, "trapnet%u: cannot set up: %s", index,
			       strerror(ENOMEM));
	if (t->net.fault) /* the interrupt rules */
		t->tr.fault = t->net.fault->f;
	link = net_link_source(t->net.link);
	return link ? iothread_add(&vm->io, link) : 0; /* room checked above */
}

static struct lathist *frame_latency(void *dev, unsigned dir)
{
	return dir < LATHIST_DIRS ? &((struct trapnet_dev *)dev)->lat[dir] : NULL;
}

const struct device_kind trapnet_dev_kind = {
	.name = "trapnet",
	.option = "--trap-net",
	.max = HV_MAX_NICS_PER_KIND,
	.usage = "  --trap-net tap:IFNAME[,mac=...] | loop[,mac=...]\n"
		 "                     the same backends behind the trap-and-emulate NIC\n"
		 "                     instead (trapnet0, ...: MMIO registers, one frame each\n"
		 "                     way at a time).  Repeatable.\n",
	.check = net_check_arg,
	.add = add,
	.update_desc = update_desc,
	TRAP_KIND_HOOKS,
	.save = trapnet_snap_save, /* snap/snap_dev.c */
	.load = trapnet_snap_load,
	.frame_latency = frame_latency,
};
