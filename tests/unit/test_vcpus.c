/*
 * What a second vCPU will do: the same hypercalls and register accesses
 * from two threads at once, against the real backends and I/O thread.
 * Each shared structure has its lock; these tests fail under
 * ThreadSanitizer without them, and here with a leaked pool, a lost MSI
 * route or miscounted commands.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm.h"
#include "pv_host.h"
#include "suites.h"
#include "trap/trapblk_dev.h"
#include "ut.h"
#include "core/vm.h"

#define MEM (32ull << 20)
#define ROUNDS 400

/* Runs fn on two threads at once, as two vCPUs; returns when both have. */
static void two_vcpus(void *(*fn)(void *), void *arg0, void *arg1)
{
	pthread_t t[2];

	CU_ASSERT_EQUAL_FATAL(pthread_create(&t[0], NULL, fn, arg0), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t[1], NULL, fn, arg1), 0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
}

struct vcpu {
	struct vm *vm;
	unsigned id;
	unsigned attached, busy, detached, other;
};

/* Where vCPU id keeps its queue setup (its own rings). */
static uint64_t setup_gpa(unsigned id)
{
	return 0x1000 + id * 0x100;
}

static void put_setup(struct vm *vm, unsigned id)
{
	const struct hv_queue_setup s = {
		.sq_gpa = 0x100000 + id * 0x100000, .cq_gpa = 0x180000 + id * 0x100000,
		.sq_size = 8, .cq_size = 8, .msix = 0,
	};

	CU_ASSERT_EQUAL(gm_write(&vm->mem, setup_gpa(id), &s, sizeof(s)), 0);
}

/* Attach, then detach, pvblk0's queue, ROUNDS times (no CUnit calls: not thread-safe). */
static void *attach_detach(void *arg)
{
	struct vcpu *v = arg;
	const uint64_t a[HC_NARGS] = { 1, setup_gpa(v->id) }, d[HC_NARGS] = { 1, 0 };

	for (unsigned i = 0; i < ROUNDS; i++) {
		int64_t rc = hc_dispatch(v->vm, HV_HC_QUEUE_ATTACH, a);

		if (rc == HV_NOTIFY_PORT_BASE)
			v->attached++;
		else if (rc == -HV_EBUSY)
			v->busy++;
		else
			v->other++;
		rc = hc_dispatch(v->vm, HV_HC_QUEUE_DETACH, d);
		if (rc == 0)
			v->detached++;
		else
			v->other++;
	}
	return NULL;
}

/*
 * Two vCPUs attach and detach one queue as fast as they can: each attach
 * either wins or is refused busy, every detach succeeds, and at the end the
 * queue is detached with its pool freed (a leaked one fails the run).
 */
static void test_attach_detach_two_vcpus(void)
{
	const char *disks[1] = { "null:1M" };
	struct vcpu v[2];
	struct pv_host h;
	struct pvblk_back *b;

	CU_ASSERT_EQUAL_FATAL(pv_host_init(&h, MEM, disks, 1, 0), 0);
	b = h.disk[0];
	for (unsigned i = 0; i < 2; i++) {
		v[i] = (struct vcpu){ .vm = h.vm, .id = i };
		put_setup(h.vm, i);
	}
	two_vcpus(attach_detach, &v[0], &v[1]);
	CU_ASSERT_EQUAL(v[0].other + v[1].other, 0);
	CU_ASSERT_EQUAL(v[0].attached + v[0].busy, ROUNDS);
	CU_ASSERT_EQUAL(v[0].detached + v[1].detached, 2 * ROUNDS);
	CU_ASSERT(v[0].attached + v[1].attached > 0);
	CU_ASSERT_EQUAL(pvq_state(&b->q), PVQ_DETACHED);
	CU_ASSERT_FALSE(pvq_attached(&b->q));
	CU_ASSERT_PTR_NULL(b->pool);
	pv_host_destroy(&h);
}

struct msi_vcpu {
	struct kvm_vm *k;
	int fd;
};

/* Adds and removes MSI routes: with no VM behind vm_fd, each add is refused and undone. */
static void *msi_routes(void *arg)
{
	struct msi_vcpu *m = arg;

	for (unsigned i = 0; i < 20000; i++)
		if (kvm_irqfd_msi(m->k, 0x40 + (i & 7), m->fd) >= 0)
			kvm_irqfd_msi_remove(m->k, 32, m->fd);
	return NULL;
}

/* The MSI route table is replaced whole by every change: changes from two vCPUs serialise. */
static void test_msi_table_two_vcpus(void)
{
	struct kvm_vm *k = calloc(1, sizeof(*k));
	struct msi_vcpu m[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	k->irq_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	k->vm_fd = -1; /* every KVM ioctl fails: the table's own bookkeeping is what runs */
	for (unsigned i = 0; i < 2; i++)
		m[i] = (struct msi_vcpu){ .k = k, .fd = 100 + (int)i };
	two_vcpus(msi_routes, &m[0], &m[1]);
	CU_ASSERT_EQUAL(k->nr_msi, 0); /* every refused route undone, none lost or doubled */
	free(k);
}

struct trap_vcpu {
	struct vm *vm;
	unsigned writes;
};

/* Starts commands on trapblk0 as fast as it can, reading STATUS in between (no CUnit calls). */
static void *trap_commands(void *arg)
{
	struct trap_vcpu *v = arg;

	for (unsigned i = 0; i < ROUNDS * 10; i++) {
		uint64_t cmd = HV_TRAPBLK_CMD_READ, st;

		io_bus_access(&v->vm->mmio, HV_MMIO_BASE + HV_TRAPBLK_R_CMD, true, &cmd, 4);
		v->writes++;
		io_bus_access(&v->vm->mmio, HV_MMIO_BASE + HV_TRAPBLK_R_STATUS, false, &st, 4);
	}
	return NULL;
}

/* Two vCPUs programming one trap controller: every CMD write is taken or counted busy. */
static void test_trap_two_vcpus(void)
{
	struct vm *vm = ut_vm_with(MEM, &trapblk_dev_kind, "null:1M");
	struct trapblk_dev *t = vm_device(vm, &trapblk_dev_kind, 0);
	struct trap_vcpu v[2];
	uint64_t val = 1;

	io_bus_access(&vm->mmio, HV_MMIO_BASE + HV_TRAPBLK_R_COUNT, true, &val, 4);
	val = 0x400000;
	io_bus_access(&vm->mmio, HV_MMIO_BASE + HV_TRAPBLK_R_DMA, true, &val, 8);
	v[0] = v[1] = (struct trap_vcpu){ .vm = vm };
	two_vcpus(trap_commands, &v[0], &v[1]);
	CU_ASSERT_TRUE(EVENTUALLY(({
		io_bus_access(&vm->mmio, HV_MMIO_BASE + HV_TRAPBLK_R_STATUS, false, &val, 4);
		!(val & HV_TRAPBLK_ST_BUSY); })));
	CU_ASSERT_EQUAL(t->tr.st.cmds[0] + t->tr.st.busy_writes, v[0].writes + v[1].writes);
	CU_ASSERT_EQUAL(t->st.bytes, t->tr.st.cmds[0] * 512);
	CU_ASSERT_EQUAL(t->st.bad_cmds + t->st.io_errors, 0);
	ut_vm_free(vm);
}

int suite_vcpus(void)
{
	static const CU_TestInfo tests[] = {
		{ "two vCPUs attach and detach one queue", test_attach_detach_two_vcpus },
		{ "two vCPUs change MSI routes", test_msi_table_two_vcpus },
		{ "two vCPUs program one trap controller", test_trap_two_vcpus },
		CU_TEST_INFO_NULL,
	};
	return add_suite("vcpus", tests);
}
