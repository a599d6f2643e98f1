/* MSI-X table, pending bits and their KVM routes (msix.h). */
#include "pci/msix.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define BLOCKED (MSIX_S_MASKED | MSIX_S_OFF)

static uint32_t load(const uint32_t *s)
{
	return __atomic_load_n(s, __ATOMIC_ACQUIRE);
}

int msix_init(struct msix *m, unsigned n)
{
	unsigned i;

	if (!n || n > HV_PCI_MSIX_MAX)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->n = n;
	for (i = 0; i < HV_PCI_MSIX_MAX; i++)
		m->fd[i] = m->gsi[i] = -1;
	for (i = 0; i < n; i++) {
		/* The PCI spec's reset state: every entry masked, MSI-X disabled. */
		m->tab[i][3] = MSIX_CTRL_MASKED;
		m->state[i] = MSIX_S_MASKED | MSIX_S_OFF;
		m->fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->fd[i] < 0) {
			int rc = -errno;
			msix_destroy(m);
			return rc;
		}
	}
	return 0;
}

int msix_wire(struct msix *m, struct kvm_vm *kvm)
{
	unsigned i;

	m->kvm = kvm;
	for (i = 0; i < m->n; i++) {
		/* The table's message (zero until the guest writes one); it follows at unmask. */
		m->gsi[i] = kvm_irqfd_msi_msg(kvm, &m->routed[i], m->fd[i]);
		if (m->gsi[i] < 0)
			return m->gsi[i];
	}
	return 0;
}

void msix_destroy(struct msix *m)
{
	unsigned i;

	/* The irqfds go with KVM's VM; closing the eventfd unbinds one still bound. */
	for (i = 0; i < m->n; i++)
		if (m->fd[i] >= 0) {
			close(m->fd[i]);
			m->fd[i] = -1;
		}
}

static void send(struct msix *m, unsigned i)
{
	if (eventfd_write(m->fd[i], 1) == 0)
		__atomic_add_fetch(&m->sent, 1, __ATOMIC_RELAXED);
}

/*
 * A signal and the vCPU thread's unmask race on the state word alone: the
 * signal sets PENDING only while BLOCKED is still set (compare-and-swap),
 * and the unmask clears BLOCKED before it looks for PENDING, so a signal is
 * either sent by its own thread or found pending by release().  What is not
 * closed: a signal that saw the entry unmasked may be sent just after the
 * guest masked it (the eventfd write is not atomic with the look).  PROTOCOL.md
 * §17 says why a guest tolerates that one late message.
 */
int msix_signal(struct msix *m, unsigned entry)
{
	uint32_t s;

	if (entry >= m->n)
		return -EINVAL;
	s = load(&m->state[entry]);
	for (;;) {
		if (!(s & BLOCKED)) {
			send(m, entry);
			return 0;
		}
		if (s & MSIX_S_PENDING)
			break; /* one message owed is all the PBA can say */
		if (__atomic_compare_exchange_n(&m->state[entry], &s, s | MSIX_S_PENDING, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	__atomic_add_fetch(&m->pended, 1, __ATOMIC_RELAXED);
	return 0;
}

/* The entry can send again: a pending message goes now, exactly once. */
static void release(struct msix *m, unsigned i)
{
	uint32_t s = load(&m->state[i]);

	while (!(s & BLOCKED) && (s & MSIX_S_PENDING))
		if (__atomic_compare_exchange_n(&m->state[i], &s, s & ~MSIX_S_PENDING, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			send(m, i);
			return;
		}
}

/* KVM's route for entry i carries the table's message (before it may send). */
static void sync_route(struct msix *m, unsigned i)
{
	const struct kvm_msi_msg want = { m->tab[i][0], m->tab[i][1], m->tab[i][2] };

	if (!m->kvm || m->gsi[i] < 0 || !memcmp(&want, &m->routed[i], sizeof(want)))
		return;
	if (kvm_msi_route_set(m->kvm, m->gsi[i], &want) == 0)
		m->routed[i] = want;
	else
		m->route_errors++;
}

/* Clears why[i] bits; the entry sends what it owes if nothing else blocks it. */
static void unblock(struct msix *m, unsigned i, uint32_t bits)
{
	if ((load(&m->state[i]) & BLOCKED & ~bits) == 0)
		sync_route(m, i);
	__atomic_and_fetch(&m->state[i], ~bits, __ATOMIC_ACQ_REL);
	release(m, i);
}

void msix_control(struct msix *m, bool enable, bool fmask)
{
	bool off = !enable || fmask;
	unsigned i;

	m->enabled = enable;
	m->fmask = fmask;
	for (i = 0; i < m->n; i++) {
		if (off)
			__atomic_or_fetch(&m->state[i], MSIX_S_OFF, __ATOMIC_ACQ_REL);
		else if (load(&m->state[i]) & MSIX_S_OFF)
			unblock(m, i, MSIX_S_OFF);
	}
}

bool msix_pending(const struct msix *m, unsigned entry)
{
	return entry < m->n && (load(&m->state[entry]) & MSIX_S_PENDING);
}

static void table_write(struct msix *m, unsigned i, unsigned word, uint32_t v)
{
	if (word < 3) {
		m->tab[i][word] = v;
		/* Changing an unmasked entry is undefined in the spec; hv follows it at once. */
		if (!(load(&m->state[i]) & BLOCKED))
			sync_route(m, i);
		return;
	}
	m->tab[i][3] = v & MSIX_CTRL_MASKED; /* the other bits are reserved */
	if (v & MSIX_CTRL_MASKED)
		__atomic_or_fetch(&m->state[i], MSIX_S_MASKED, __ATOMIC_ACQ_REL);
	else
		unblock(m, i, MSIX_S_MASKED);
}

/* Dword dw of the PBA: entry bits 32 * dw .. 32 * dw + 31. */
static uint32_t pba_dword(const struct msix *m, unsigned dw)
{
	uint32_t v = 0;
	unsigned b;

	for (b = 0; b < 32 && 32 * dw + b < m->n; b++)
		if (msix_pending(m, 32 * dw + b))
			v |= 1u << b;
	return v;
}

/* One aligned dword: of the table below HV_PCI_PBA_OFF, of the PBA above. */
static void dword_io(struct msix *m, uint64_t off, bool is_write, uint32_t *v)
{
	if (off < HV_PCI_PBA_OFF) {
		unsigned i = (unsigned)(off / MSIX_ENTRY_BYTES), word = (unsigned)(off % 16) / 4;

		if (i >= m->n)
			*v = is_write ? *v : 0;
		else if (is_write)
			table_write(m, i, word, *v);
		else
			*v = m->tab[i][word];
		return;
	}
	if (!is_write) /* the PBA is read-only */
		*v = pba_dword(m, (unsigned)((off - HV_PCI_PBA_OFF) / 4));
}

void msix_bar_io(struct msix *m, uint64_t off, bool is_write, uint64_t *val, unsigned size)
{
	uint32_t lo = (uint32_t)*val, hi = (uint32_t)(*val >> 32);

	if ((size != 4 && size != 8) || off % size || off + size > HV_PCI_BAR_SIZE) {
		if (!is_write)
			*val = 0;
		return;
	}
	/* A qword is its two dwords, low first (the spec allows either width). */
	dword_io(m, off, is_write, &lo);
	if (size == 8)
		dword_io(m, off + 4, is_write, &hi);
	if (!is_write)
		*val = size == 8 ? (uint64_t)hi << 32 | lo : lo;
}
