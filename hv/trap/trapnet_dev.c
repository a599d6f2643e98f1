/* Trap NIC: register decode (vCPU thread), sends and receives (I/O thread). */
#include "trap/trapnet_dev.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "kvm/kvm.h"
#include "trap/mmio_reg.h"
#include "core/vm.h"

#define PEND_TX 1u
#define PEND_RX 2u

static bool link_up(const struct trapnet_dev *t)
{
	return __atomic_load_n(&t->link_up, __ATOMIC_ACQUIRE);
}

/* Under the lock: sets ISR bits and raises the MSI for those IER enables. */
static void raise_irq_locked(struct trapnet_dev *t, uint32_t bits)
{
	t->isr |= bits;
	if (t->ier & bits && eventfd_write(t->irq_fd, 1) == 0)
		t->st.irqs++;
}

static void link_down(struct trapnet_dev *t)
{
	if (__atomic_exchange_n(&t->link_up, false, __ATOMIC_ACQ_REL)) {
		fprintf(stderr, "hv: trapnet%u: %s is gone: link down\n", t->index, t->net.name);
		pthread_mutex_lock(&t->lock);
		raise_irq_locked(t, HV_TRAPNET_INT_LINK);
		pthread_mutex_unlock(&t->lock);
	}
}

/* ---- I/O thread: the send and the receive ------------------------------------------- */

/*
 * Under the lock, so a guest that sees TX_STATUS not busy (and may send
 * again at once) also sees ISR.TX and has had the interrupt: nothing of
 * this send can land during the next one.
 */
static void finish_tx_locked(struct trapnet_dev *t, uint32_t status)
{
	if (status == HV_NET_S_OK) {
		t->st.tx_frames++;
		t->st.tx_bytes += t->tx_run_len;
	} else if (status == HV_NET_S_BADREQ) {
		t->st.tx_bad++;
	} else {
		t->st.tx_errors++;
	}
	t->tx_status = status;
	raise_irq_locked(t, HV_TRAPNET_INT_TX);
}

static void finish_rx_locked(struct trapnet_dev *t, uint32_t status, uint32_t len)
{
	if (status == HV_NET_S_OK) {
		t->st.rx_frames++;
		t->st.rx_bytes += len;
	} else if (status == HV_NET_S_BADREQ) {
		t->st.rx_bad++;
	} else {
		t->st.rx_errors++;
	}
	t->rx_frame = len;
	t->rx_status = status;
	raise_irq_locked(t, HV_TRAPNET_INT_RX);
}

static void finish_tx(struct trapnet_dev *t, uint32_t status)
{
	pthread_mutex_lock(&t->lock);
	finish_tx_locked(t, status);
	pthread_mutex_unlock(&t->lock);
}

static void finish_rx(struct trapnet_dev *t, uint32_t status, uint32_t len)
{
	pthread_mutex_lock(&t->lock);
	finish_rx_locked(t, status, len);
	pthread_mutex_unlock(&t->lock);
}

static void tx_done(struct ioeng_op *op, int res)
{
	struct trapnet_dev *t = container_of(op, struct trapnet_dev, tx_op);

	if (res >= 0 && (uint32_t)res == t->tx_run_len) {
		finish_tx(t, HV_NET_S_OK);
	} else if (res < 0 && net_gone(res)) {
		link_down(t);
		finish_tx(t, HV_NET_S_LINK_DOWN);
	} else {
		finish_tx(t, HV_NET_S_IOERR);
	}
}

static void rx_done(struct ioeng_op *op, int res)
{
	struct trapnet_dev *t = container_of(op, struct trapnet_dev, rx_op);

	if (res >= HV_NET_MIN_FRAME) {
		finish_rx(t, HV_NET_S_OK, (uint32_t)res);
	} else if (res < 0 && net_gone(res)) {
		link_down(t);
		finish_rx(t, HV_NET_S_LINK_DOWN, 0);
	} else {
		finish_rx(t, HV_NET_S_IOERR, 0);
	}
}

/* The latched send: the same rules as a PV TX request of one segment. */
static void start_tx(struct trapnet_dev *t, struct ioeng *e)
{
	void *p = NULL;

	if (t->tx_run_len >= HV_NET_MIN_FRAME &&
	    t->tx_run_len <= (uint32_t)t->mtu + HV_NET_ETH_HLEN)
		p = gm_range(t->mem, t->tx_run_addr, t->tx_run_len);
	if (!p) {
		finish_tx(t, HV_NET_S_BADREQ);
		return;
	}
	if (!link_up(t)) {
		finish_tx(t, HV_NET_S_LINK_DOWN);
		return;
	}
	t->tx_iov = (struct iovec){ p, t->tx_run_len };
	t->tx_op.cb = tx_done;
	if (net_send(e, &t->net, &t->tx_iov, 1, &t->tx_op))
		finish_tx(t, HV_NET_S_IOERR);
}

/* The latched buffer: big enough for a whole frame, inside RAM. */
static void start_rx(struct trapnet_dev *t, struct ioeng *e)
{
	void *p = NULL;

	if (t->rx_run_len >= (uint32_t)t->mtu + HV_NET_ETH_HLEN &&
	    t->rx_run_len <= HV_NET_MAX_FRAME)
		p = gm_range(t->mem, t->rx_run_addr, t->rx_run_len);
	if (!p) {
		finish_rx(t, HV_NET_S_BADREQ, 0);
		return;
	}
	if (!link_up(t)) {
		finish_rx(t, HV_NET_S_LINK_DOWN, 0);
		return;
	}
	t->rx_iov = (struct iovec){ p, t->rx_run_len };
	t->rx_op.cb = rx_done;
	if (net_recv(e, &t->net, &t->rx_iov, 1, &t->rx_op))
		finish_rx(t, HV_NET_S_IOERR, 0);
}

static void on_kick(struct io_source *s, struct ioeng *e)
{
	struct trapnet_dev *t = container_of(s, struct trapnet_dev, src);
	uint32_t pending;

	/* What the vCPU latched, copied whole under the lock. */
	pthread_mutex_lock(&t->lock);
	pending = t->pending;
	t->pending = 0;
	if (pending & PEND_TX) {
		t->tx_run_addr = t->tx_cmd_addr;
		t->tx_run_len = t->tx_cmd_len;
	}
	if (pending & PEND_RX) {
		t->rx_run_addr = t->rx_cmd_addr;
		t->rx_run_len = t->rx_cmd_len;
	}
	pthread_mutex_unlock(&t->lock);
	/* The buffer first: a frame sent now may come straight back (loop). */
	if (pending & PEND_RX)
		start_rx(t, e);
	if (pending & PEND_TX)
		start_tx(t, e);
}

/* ---- vCPU thread: registers ---------------------------------------------------------- */

/* Under the lock: latch the operands and hand them over, unless one runs. */
static void command(struct trapnet_dev *t, uint32_t *status, uint32_t bit, uint32_t pend)
{
	if (*status & HV_TRAPNET_ST_BUSY) {
		t->st.busy_writes++; /* one at a time: ignored, as hardware would */
		return;
	}
	if (pend == PEND_TX) {
		t->tx_cmd_addr = t->tx_addr;
		t->tx_cmd_len = t->tx_len;
	} else {
		t->rx_cmd_addr = t->rx_addr;
		t->rx_cmd_len = t->rx_len;
	}
	t->isr &= ~bit;
	*status = HV_TRAPNET_ST_BUSY;
	t->pending |= pend;
	if (eventfd_write(t->src.fd, 1) < 0) {
		if (pend == PEND_TX)
			finish_tx_locked(t, HV_NET_S_IOERR);
		else
			finish_rx_locked(t, HV_NET_S_IOERR, 0);
	}
}

static bool read_reg(struct trapnet_dev *t, uint64_t off, unsigned size, uint64_t *val)
{
	unsigned sh;

	if (mmio_reg64(off, HV_TRAPNET_R_TX_ADDR, size, &sh))
		*val = t->tx_addr >> sh;
	else if (mmio_reg64(off, HV_TRAPNET_R_RX_ADDR, size, &sh))
		*val = t->rx_addr >> sh;
	else if (size != 4)
		return false;
	else if (off == HV_TRAPNET_R_MAGIC)
		*val = HV_TRAPNET_MAGIC;
	else if (off == HV_TRAPNET_R_VERSION)
		*val = HV_TRAPNET_VERSION;
	else if (off == HV_TRAPNET_R_MAC_LO)
		*val = (uint32_t)t->mac[0] | (uint32_t)t->mac[1] << 8 | (uint32_t)t->mac[2] << 16 |
		       (uint32_t)t->mac[3] << 24;
	else if (off == HV_TRAPNET_R_MAC_HI)
		*val = (uint32_t)t->mac[4] | (uint32_t)t->mac[5] << 8;
	else if (off == HV_TRAPNET_R_MTU)
		*val = t->mtu;
	else if (off == HV_TRAPNET_R_LINK)
		*val = link_up(t);
	else if (off == HV_TRAPNET_R_TX_LEN)
		*val = t->tx_len;
	else if (off == HV_TRAPNET_R_TX_STATUS)
		*val = t->tx_status;
	else if (off == HV_TRAPNET_R_RX_LEN)
		*val = t->rx_len;
	else if (off == HV_TRAPNET_R_RX_STATUS)
		*val = t->rx_status;
	else if (off == HV_TRAPNET_R_RX_FRAME)
		*val = t->rx_frame;
	else if (off == HV_TRAPNET_R_ISR)
		*val = t->isr;
	else if (off == HV_TRAPNET_R_IER)
		*val = t->ier;
	else if (off == HV_TRAPNET_R_VECTOR)
		*val = t->vector;
	else
		return false;
	if (size == 4)
		*val &= 0xffffffffu;
	return true;
}

static bool write_reg(struct trapnet_dev *t, uint64_t off, unsigned size, uint64_t v)
{
	unsigned sh;

	if (mmio_reg64(off, HV_TRAPNET_R_TX_ADDR, size, &sh))
		mmio_write64(&t->tx_addr, v, size, sh);
	else if (mmio_reg64(off, HV_TRAPNET_R_RX_ADDR, size, &sh))
		mmio_write64(&t->rx_addr, v, size, sh);
	else if (size != 4)
		return false;
	else if (off == HV_TRAPNET_R_TX_LEN)
		t->tx_len = (uint32_t)v;
	else if (off == HV_TRAPNET_R_RX_LEN)
		t->rx_len = (uint32_t)v;
	else if (off == HV_TRAPNET_R_TX_CMD && v == HV_TRAPNET_CMD_SEND)
		command(t, &t->tx_status, HV_TRAPNET_INT_TX, PEND_TX);
	else if (off == HV_TRAPNET_R_RX_CMD && v == HV_TRAPNET_CMD_POST)
		command(t, &t->rx_status, HV_TRAPNET_INT_RX, PEND_RX);
	else if (off == HV_TRAPNET_R_ISR)
		t->isr &= ~(uint32_t)v;
	else if (off == HV_TRAPNET_R_IER)
		t->ier = (uint32_t)v & (HV_TRAPNET_INT_TX | HV_TRAPNET_INT_RX | HV_TRAPNET_INT_LINK);
	else
		return false;
	return true;
}

void trapnet_dev_mmio(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size)
{
	struct trapnet_dev *t = opaque;
	bool ok;

	/* One access at a time, whichever vCPU makes it, against the I/O thread's finishes. */
	pthread_mutex_lock(&t->lock);
	ok = is_write ? write_reg(t, off, size, *val) : read_reg(t, off, size, val);
	if (!ok) {
		/* Reserved offsets, read-only registers, odd widths, unknown commands. */
		t->st.bad_accesses++;
		if (!is_write)
			*val = 0;
	}
	pthread_mutex_unlock(&t->lock);
}

/* ---- setup --------------------------------------------------------------------------- */

int trapnet_dev_init(struct trapnet_dev *t, unsigned index, uint64_t base,
		     const struct guest_mem *mem, const struct net *net, const uint8_t mac[6])
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->index = index;
	t->mem = mem;
	t->net = *net;
	memcpy(t->mac, mac, 6);
	t->mtu = HV_NET_DEFAULT_MTU;
	t->base = base;
	t->vector = TRAPNET_VEC_BASE + index;
	t->link_up = true;
	t->rx_status = HV_TRAPNET_ST_IDLE;
	rc = io_source_open(&t->src, &t->irq_fd);
	if (rc)
		return rc;
	rc = -pthread_mutex_init(&t->lock, NULL);
	if (rc) {
		io_source_close(&t->src, &t->irq_fd);
		return rc;
	}
	t->src.kick = on_kick;
	return 0;
}

void trapnet_dev_destroy(struct trapnet_dev *t)
{
	io_source_close(&t->src, &t->irq_fd);
	pthread_mutex_destroy(&t->lock);
	net_close(&t->net);
}

void trapnet_dev_desc(const struct trapnet_dev *t, struct hv_dev_desc *d)
{
	*d = (struct hv_dev_desc){
		.type = HV_DEV_TRAPNET, .index = (uint16_t)t->index,
		.flags = link_up(t) ? HV_DEV_F_LINK_UP : 0,
		.base = t->base, .len = HV_TRAPNET_WINDOW, .irq = t->vector,
	};
	memcpy(d->cfg.net.mac, t->mac, 6);
	d->cfg.net.mtu = t->mtu;
}

/* ---- the device kind: --trap-net ----------------------------------------------------- */

static int wire(void *dev, struct kvm_vm *kvm)
{
	struct trapnet_dev *t = dev;
	int gsi = kvm_irqfd_msi(kvm, t->vector, t->irq_fd);

	return gsi < 0 ? gsi : 0;
}

static void update_desc(const void *dev, struct hv_dev_desc *d)
{
	d->flags = link_up(dev) ? HV_DEV_F_LINK_UP : 0;
}

static void describe(FILE *f, const void *dev)
{
	const struct trapnet_dev *t = dev;

	fprintf(f, "hv: trapnet%u: %s %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, "
		   "MMIO 0x%llx, vector %u\n",
		t->index, t->net.ops->name, t->net.name, t->mac[0], t->mac[1], t->mac[2],
		t->mac[3], t->mac[4], t->mac[5], t->mtu, (unsigned long long)t->base, t->vector);
}

static void print_stats(FILE *f, const void *dev)
{
	const struct trapnet_dev *t = dev;
	const struct trapnet_dev_stats *s = &t->st;

	fprintf(f, "  trapnet%u (%s): link %s; rx %llu frames, %llu bytes, %llu dropped, "
		   "%llu bad, %llu errors; tx %llu frames, %llu bytes, %llu bad, %llu errors; "
		   "%llu while busy, %llu bad register accesses, %llu interrupts\n",
		t->index, t->net.name, link_up(t) ? "up" : "down",
		(unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
		(unsigned long long)t->net.lost, (unsigned long long)s->rx_bad,
		(unsigned long long)s->rx_errors, (unsigned long long)s->tx_frames,
		(unsigned long long)s->tx_bytes, (unsigned long long)s->tx_bad,
		(unsigned long long)s->tx_errors, (unsigned long long)s->busy_writes, (unsigned long long)s->bad_accesses,
		(unsigned long long)s->irqs);
}

static int add(struct vm *vm, unsigned index, const char *arg, char *err, size_t errlen)
{
	struct io_source *src;
	struct net_spec spec;
	struct trapnet_dev *t;
	struct hv_dev_desc d;
	struct net net;
	uint8_t mac[6];
	uint64_t base;
	int rc;

	rc = net_parse_spec(trapnet_dev_kind.option, arg, &spec, err, errlen);
	if (rc)
		return rc;
	if (vm_alloc_mmio(vm, HV_TRAPNET_WINDOW, &base))
		return err_msg(-ENOSPC, err, errlen, "trapnet%u: no MMIO window left", index);
	rc = net_open(&net, &spec, err, errlen);
	if (rc)
		return rc;
	net_spec_mac(&spec, 1, index, mac);
	t = calloc(1, sizeof(*t));
	rc = t ? trapnet_dev_init(t, index, base, &vm->mem, &net, mac) : -ENOMEM;
	if (rc) {
		net_close(&net);
		free(t);
		return err_msg(rc, err, errlen, "trapnet%u: cannot set up: %s", index,
			       strerror(-rc));
	}
	trapnet_dev_desc(t, &d);
	rc = io_bus_register(&vm->mmio, t->base, HV_TRAPNET_WINDOW, trapnet_dev_mmio, t,
			     "trapnet");
	if (rc) {
		err_msg(rc, err, errlen, "trapnet%u: cannot map its window: %s", index,
			strerror(-rc));
	} else {
		src = &t->src;
		rc = vm_add_device(vm, &trapnet_dev_kind, index, t, &d, &src, 1);
		if (rc) {
			io_bus_unregister(&vm->mmio, t->base); /* nothing may point at t */
			err_msg(rc, err, errlen, "trapnet%u: cannot set up: %s", index,
				strerror(-rc));
		}
	}
	if (rc) {
		trapnet_dev_destroy(t);
		free(t);
	}
	return rc;
}

static void destroy(void *dev)
{
	trapnet_dev_destroy(dev);
	free(dev);
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
	.wire = wire,
	.update_desc = update_desc,
	.describe = describe,
	.print_stats = print_stats,
	.destroy = destroy,
};
