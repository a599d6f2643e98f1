/* The trap devices' transport: register window, commands, interrupts (trap_transport.h). */
#include "trap/trap_transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "core/device.h"
#include "core/util.h"
#include "core/vm.h"
#include "kvm/kvm.h"

/* ---- the register window (vCPU thread) ---------------------------------------------- */

/*
 * True if an access of size at off hits r (PROTOCOL.md's rule for every
 * register block); *shift: which half of a 64-bit register, in bits.
 */
static bool hits(const struct trap_reg *r, uint64_t off, unsigned size, unsigned *shift)
{
	*shift = 0;
	if (!r->wide)
		return size == 4 && off == r->off;
	if (size == 8 && off == r->off)
		return true;
	if (size == 4 && (off == r->off || off == r->off + 4))
		return *shift = (unsigned)(off - r->off) * 8, true;
	return false;
}

static const struct trap_reg *find(const struct trap_ops *ops, uint64_t off, unsigned size,
				   unsigned *shift)
{
	for (unsigned i = 0; i < ops->nr_regs; i++)
		if (hits(&ops->regs[i], off, size, shift))
			return &ops->regs[i];
	return NULL;
}

/* The device's field at offset off (the device starts with tr); only for a field register. */
static void *field(const struct trap_transport *tr, size_t off)
{
	return (char *)tr + off;
}

/* --trace's queue for an interrupt of bits: the channel whose end sets them, or the device. */
static const char *irq_queue(const struct trap_transport *tr, uint32_t bits)
{
	for (unsigned c = 0; c < tr->nr_chan; c++)
		if (bits == tr->ops->chan[c].int_bit)
			return tr->qname[c];
	return tr->qname[TRAP_MAX_CHAN]; /* a link change */
}

/* Under the lock: sets ISR bits and raises the MSI for those IER enables. */
static void raise_locked(struct trap_transport *tr, uint32_t bits)
{
	tr->isr |= bits;
	if (!(tr->ier & bits) || (tr->fault && !fault_irq(tr->fault, &tr->fault_irq)))
		return;
	/* Stamped before the signal, which may run the vCPU at once (as pvq's). */
	trace_ev(TR_IRQ, irq_queue(tr, bits), 0, 0);
	if (eventfd_write(tr->irq_fd, 1) == 0)
		stat_add(&tr->st.irqs, 1);
}

/*
 * Under the lock, so a guest that sees the status not busy (and may start
 * the next command at once) also sees this command's ISR bit and has had
 * its interrupt: nothing of it can land during the next one.
 */
static void finish_locked(struct trap_transport *tr, unsigned chan, uint32_t result,
			  uint32_t len)
{
	tr->ops->finished(tr, chan, result, len);
	tr->status[chan] = result;
	trace_ev(TR_POST, tr->qname[chan], tr->run_id[chan], result);
	raise_locked(tr, tr->ops->chan[chan].int_bit);
}

/* Under the lock: copies channel c's operands (and the command, v) for the I/O thread. */
static void latch(struct trap_transport *tr, unsigned c, uint64_t v)
{
	for (const struct trap_reg *r = tr->ops->regs; r < tr->ops->regs + tr->ops->nr_regs; r++) {
		if (!r->latch || r->chan != c)
			continue;
		if (r->kind == TRAP_REG_CMD)
			*(uint32_t *)field(tr, r->latch) = (uint32_t)v;
		else if (r->wide)
			*(uint64_t *)field(tr, r->latch) = *(const uint64_t *)field(tr, r->arg);
		else
			*(uint32_t *)field(tr, r->latch) = *(const uint32_t *)field(tr, r->arg);
	}
}

/* Under the lock: latch the operands and hand the command over, unless one runs. */
static bool command(struct trap_transport *tr, const struct trap_reg *r, uint64_t v)
{
	unsigned c = r->chan;

	if (r->arg != TRAP_CMD_ANY && v != r->arg)
		return false;
	if (tr->status[c] & TRAP_ST_BUSY) {
		stat_add(&tr->st.busy_writes, 1); /* one at a time: ignored, as hardware would */
		return true;
	}
	stat_add(&tr->st.cmds[c], 1);
	latch(tr, c, v);
	tr->isr &= ~tr->ops->chan[c].int_bit;
	tr->status[c] = TRAP_ST_BUSY;
	tr->pending |= 1u << c;
	if (eventfd_write(tr->src.fd, 1) < 0) {
		tr->pending &= ~(1u << c); /* nothing will run it: it is over */
		finish_locked(tr, c, tr->ops->chan[c].signal_err, 0);
	}
	return true;
}

static bool read_reg(const struct trap_transport *tr, const struct trap_reg *r, unsigned size,
		     unsigned shift, uint64_t *val)
{
	uint64_t v;

	switch (r->kind) {
	case TRAP_REG_CONST:
		v = r->arg;
		break;
	case TRAP_REG_RO:
	case TRAP_REG_RW:
		if (r->wide)
			v = *(const uint64_t *)field(tr, r->arg);
		else
			v = *(const uint32_t *)field(tr, r->arg);
		break;
	case TRAP_REG_FN:
		v = r->get(tr);
		break;
	case TRAP_REG_STATUS:
		v = tr->status[r->chan];
		break;
	case TRAP_REG_ISR:
		v = tr->isr;
		break;
	case TRAP_REG_IER:
		v = tr->ier;
		break;
	case TRAP_REG_VECTOR:
		v = tr->vector;
		break;
	default:
		return false; /* write-only */
	}
	*val = v >> shift;
	if (size == 4)
		*val &= 0xffffffffu;
	return true;
}

static bool write_reg(struct trap_transport *tr, const struct trap_reg *r, unsigned size,
		      unsigned shift, uint64_t v)
{
	uint64_t mask = size == 8 ? ~0ull : 0xffffffffull << shift, *f;

	switch (r->kind) {
	case TRAP_REG_RW:
		if (r->wide) { /* all 8 bytes, or the half written */
			f = field(tr, r->arg);
			*f = (*f & ~mask) | ((v << shift) & mask);
		} else {
			*(uint32_t *)field(tr, r->arg) = (uint32_t)v;
		}
		return true;
	case TRAP_REG_CMD:
		return command(tr, r, v);
	case TRAP_REG_ISR:
		tr->isr &= ~(uint32_t)v;
		return true;
	case TRAP_REG_IER:
		tr->ier = (uint32_t)v & tr->ops->int_mask;
		return true;
	default:
		return false; /* read-only */
	}
}

void trap_mmio(void *opaque, uint64_t off, bool is_write, uint64_t *val, unsigned size)
{
	struct trap_transport *tr = opaque;
	const struct trap_reg *r;
	unsigned shift;
	bool ok;

	/* One access at a time, whichever vCPU makes it, against the I/O thread's finishes. */
	pthread_mutex_lock(&tr->lock);
	r = find(tr->ops, off, size, &shift);
	ok = r && (is_write ? write_reg(tr, r, size, shift, *val)
			    : read_reg(tr, r, size, shift, val));
	if (!ok) {
		/* Reserved offsets, wrong directions, odd widths, unknown commands. */
		stat_add(&tr->st.bad_accesses, 1);
		if (!is_write)
			*val = 0;
	}
	pthread_mutex_unlock(&tr->lock);
}

/* ---- commands and interrupts (I/O thread) ------------------------------------------- */

/* Runs what the vCPU latched: the lock orders the latch before the run. */
static void on_kick(struct io_source *s, struct ioeng *e)
{
	struct trap_transport *tr = container_of(s, struct trap_transport, src);
	uint32_t pending;

	pthread_mutex_lock(&tr->lock);
	pending = tr->pending;
	tr->pending = 0;
	/* A busy channel runs one command: the one its count ends at. */
	for (unsigned c = 0; c < tr->nr_chan; c++)
		if (pending & 1u << c)
			tr->run_id[c] = tr->st.cmds[c];
	pthread_mutex_unlock(&tr->lock);
	tr->fault_irq.e = e; /* a late interrupt's timer (--fault irq-late) runs on this engine */
	for (unsigned c = 0; c < tr->nr_chan; c++)
		if (pending & 1u << c) {
			trace_ev(TR_DOORBELL, tr->qname[c], 0, 0);
			trace_ev(TR_TAKE, tr->qname[c], tr->run_id[c], 0);
			tr->ops->chan[c].run(tr, e);
		}
}

void trap_finish(struct trap_transport *tr, unsigned chan, uint32_t result, uint32_t len)
{
	pthread_mutex_lock(&tr->lock);
	finish_locked(tr, chan, result, len);
	pthread_mutex_unlock(&tr->lock);
}

void trap_raise(struct trap_transport *tr, uint32_t bits)
{
	pthread_mutex_lock(&tr->lock);
	raise_locked(tr, bits);
	pthread_mutex_unlock(&tr->lock);
}

/* An interrupt a fault rule held back (late, or a duplicate's second): raised whatever ISR says. */
static void fault_raise(struct fault_irq *fi)
{
	struct trap_transport *tr = container_of(fi, struct trap_transport, fault_irq);

	pthread_mutex_lock(&tr->lock);
	if (tr->ier && eventfd_write(tr->irq_fd, 1) == 0)
		stat_add(&tr->st.irqs, 1);
	pthread_mutex_unlock(&tr->lock);
}

/* ---- snapshots ---------------------------------------------------------------------- */

/*
 * The fields a snapshot keeps, in the table's order: the RW registers, then
 * the latches (a command's latch is 32 bits).  Copies them to out, or sets
 * them from in (either may be NULL); the count.
 */
static unsigned snap_fields(struct trap_transport *tr, uint64_t *out, const uint64_t *in)
{
	const struct trap_ops *ops = tr->ops;
	unsigned n = 0, pass;

	for (pass = 0; pass < 2; pass++)
		for (const struct trap_reg *r = ops->regs; r < ops->regs + ops->nr_regs; r++) {
			size_t off = pass ? r->latch : r->arg;
			bool wide = r->wide && r->kind != TRAP_REG_CMD;

			if (pass ? !r->latch : r->kind != TRAP_REG_RW)
				continue;
			if (in && n < TRAP_SNAP_FIELDS && wide)
				*(uint64_t *)field(tr, off) = in[n];
			else if (in && n < TRAP_SNAP_FIELDS)
				*(uint32_t *)field(tr, off) = (uint32_t)in[n];
			else if (out && n < TRAP_SNAP_FIELDS)
				out[n] = wide ? *(const uint64_t *)field(tr, off)
					      : *(const uint32_t *)field(tr, off);
			n++;
		}
	return n;
}

int trap_snap_save(struct trap_transport *tr, struct trap_snap_rec *r)
{
	unsigned c;

	memset(r, 0, sizeof(*r));
	if (snap_fields(tr, NULL, NULL) > TRAP_SNAP_FIELDS)
		return -ENOSPC;
	pthread_mutex_lock(&tr->lock);
	r->isr = tr->isr, r->ier = tr->ier;
	for (c = 0; c < tr->nr_chan; c++) {
		r->status[c] = tr->status[c];
		if (tr->status[c] & TRAP_ST_BUSY)
			r->rerun |= 1u << c;
	}
	r->nr_fields = snap_fields(tr, r->field, NULL);
	pthread_mutex_unlock(&tr->lock);
	return 0;
}

int trap_snap_load(struct trap_transport *tr, const struct trap_snap_rec *r)
{
	unsigned c;

	if ((r->isr | r->ier) & ~tr->ops->int_mask || r->rerun >> tr->nr_chan ||
	    r->nr_fields != snap_fields(tr, NULL, NULL))
		return -EINVAL;
	for (c = 0; c < TRAP_MAX_CHAN; c++)
		if (c < tr->nr_chan ? !!(r->status[c] & TRAP_ST_BUSY) != !!(r->rerun & 1u << c)
				    : r->status[c] != 0)
			return -EINVAL;
	pthread_mutex_lock(&tr->lock);
	tr->isr = r->isr, tr->ier = r->ier;
	memcpy(tr->status, r->status, sizeof(tr->status));
	snap_fields(tr, NULL, r->field);
	tr->pending = r->rerun;
	pthread_mutex_unlock(&tr->lock);
	/* As the vCPU's write of the command register would: the I/O thread takes it once up. */
	if (r->rerun && eventfd_write(tr->src.fd, 1) < 0)
		return -errno;
	return 0;
}

/* ---- the device kind's hooks -------------------------------------------------------- */

static int init(struct trap_transport *tr, const struct device_kind *kind,
		const struct trap_ops *ops, unsigned index, uint64_t base)
{
	int rc;

	tr->ops = ops;
	tr->kind = kind;
	tr->index = index;
	tr->base = base;
	tr->vector = ops->vec_base + index;
	while (tr->nr_chan < TRAP_MAX_CHAN && ops->chan[tr->nr_chan].run) {
		const char *cn = ops->chan[tr->nr_chan].name;

		tr->status[tr->nr_chan] = ops->chan[tr->nr_chan].idle;
		snprintf(tr->qname[tr->nr_chan], sizeof(tr->qname[0]), "%s%u%s%s", kind->name,
			 index, cn ? " " : "", cn ? cn : "");
		tr->nr_chan++;
	}
	snprintf(tr->qname[TRAP_MAX_CHAN], sizeof(tr->qname[0]), "%s%u", kind->name, index);
	rc = io_source_open(&tr->src, &tr->irq_fd);
	if (rc)
		return rc;
	rc = -pthread_mutex_init(&tr->lock, NULL);
	if (rc) {
		io_source_close(&tr->src, &tr->irq_fd);
		return rc;
	}
	tr->src.kick = on_kick;
	tr->fault_irq.raise = fault_raise;
	return 0;
}

void trap_destroy(void *dev)
{
	struct trap_transport *tr = dev;

	io_source_close(&tr->src, &tr->irq_fd);
	pthread_mutex_destroy(&tr->lock);
	tr->ops->close(dev);
	free(dev);
}

/* Maps the window and publishes the device; on failure nothing points at it. */
static int publish(struct trap_transport *tr, struct vm *vm, struct hv_dev_desc *d, char *err,
		   size_t errlen)
{
	const char *name = tr->kind->name;
	struct io_source *src = &tr->src;
	int rc;

	d->base = tr->base;
	d->len = tr->ops->window;
	d->irq = tr->vector;
	rc = io_bus_register(&vm->mmio, tr->base, tr->ops->window, trap_mmio, tr, name);
	if (rc)
		return err_msg(rc, err, errlen, "%s%u: cannot map its window: %s", name, tr->index,
			       strerror(-rc));
	rc = vm_add_device(vm, tr->kind, tr->index, tr, d, &src, 1);
	if (rc) {
		io_bus_unregister(&vm->mmio, tr->base);
		return err_msg(rc, err, errlen, "%s%u: cannot set up: %s", name, tr->index,
			       strerror(-rc));
	}
	return 0;
}

int trap_create(struct vm *vm, const struct device_kind *kind, const struct trap_ops *ops,
		unsigned index, const void *arg, char *err, size_t errlen)
{
	struct hv_dev_desc d = { 0 };
	struct trap_transport *tr;
	uint64_t base;
	int rc;

	if (vm_alloc_mmio(vm, ops->window, &base))
		return err_msg(-ENOSPC, err, errlen, "%s%u: no MMIO window left", kind->name,
			       index);
	tr = calloc(1, ops->size);
	if (!tr)
		return err_msg(-ENOMEM, err, errlen, "%s%u: cannot set up: %s", kind->name, index,
			       strerror(ENOMEM));
	tr->mem = &vm->mem;
	rc = ops->open(tr, index, arg, &d, err, errlen);
	if (rc) {
		free(tr);
		return rc;
	}
	rc = init(tr, kind, ops, index, base);
	if (rc) {
		ops->close(tr);
		free(tr);
		return err_msg(rc, err, errlen, "%s%u: cannot set up: %s", kind->name, index,
			       strerror(-rc));
	}
	rc = publish(tr, vm, &d, err, errlen);
	if (rc)
		trap_destroy(tr);
	return rc;
}

int trap_wire(void *dev, struct kvm_vm *kvm)
{
	struct trap_transport *tr = dev;
	int gsi = kvm_irqfd_msi(kvm, tr->vector, tr->irq_fd);

	return gsi < 0 ? gsi : 0;
}

void trap_describe(FILE *f, const void *dev)
{
	const struct trap_transport *tr = dev;

	fprintf(f, "hv: %s%u: ", tr->kind->name, tr->index);
	tr->ops->describe(f, dev);
	fprintf(f, ", MMIO 0x%llx, vector %u\n", (unsigned long long)tr->base, tr->vector);
}

void trap_print_stats(FILE *f, const void *dev)
{
	const struct trap_transport *tr = dev;

	fprintf(f, "  %s%u (", tr->kind->name, tr->index);
	tr->ops->print_stats(f, dev);
	fprintf(f, "%llu while busy, %llu bad register accesses, %llu interrupts\n",
		DEV_ULL(tr->st.busy_writes), DEV_ULL(tr->st.bad_accesses),
		DEV_ULL(tr->st.irqs));
}
