/*
 * The trap NIC's registers through hv's MMIO bus, as the vCPU loop
 * dispatches them, with sends run by the real I/O thread on the loop
 * backend: the guest interface's ordering under a guest that never waits.
 */
#include <stdlib.h>

#include "suites.h"
#include "trap/trapnet_dev.h"
#include "ut.h"
#include "core/vm.h"

#define MEM (16ull << 20)
#define BUF 0x400000ull

static uint64_t rd(struct vm *vm, uint64_t off)
{
	uint64_t v = 0;

	CU_ASSERT_TRUE(io_bus_access(&vm->mmio, HV_MMIO_BASE + off, false, &v, 4));
	return v;
}

static void wr(struct vm *vm, uint64_t off, uint64_t v)
{
	CU_ASSERT_TRUE(io_bus_access(&vm->mmio, HV_MMIO_BASE + off, true, &v, 4));
}

/*
 * As for the block controller: a guest that sends the next frame the
 * moment TX_STATUS reads done never sees that send's ISR.TX or interrupt
 * arrive during the next send.
 */
static void test_status_isr_together(void)
{
	struct vm *vm = ut_vm_with(MEM, &trapnet_dev_kind, "loop");
	struct trapnet_dev *t = vm_device(vm, &trapnet_dev_kind, 0);
	struct ut_trap_cmd c;
	struct ut_trap_race r;

	CU_ASSERT_EQUAL(rd(vm, HV_TRAPNET_R_MAGIC), HV_TRAPNET_MAGIC);
	c = (struct ut_trap_cmd){ &vm->mmio, HV_MMIO_BASE, HV_TRAPNET_R_TX_CMD, HV_TRAPNET_CMD_SEND,
				  HV_TRAPNET_R_TX_STATUS, HV_TRAPNET_R_ISR, HV_TRAPNET_ST_BUSY,
				  HV_TRAPNET_INT_TX, t->tr.irq_fd, vm->io.tid };
	wr(vm, HV_TRAPNET_R_IER, HV_TRAPNET_INT_TX);
	wr(vm, HV_TRAPNET_R_TX_ADDR, BUF);
	wr(vm, HV_TRAPNET_R_TX_ADDR + 4, 0);
	wr(vm, HV_TRAPNET_R_TX_LEN, 60);
	r = ut_trap_race(&c, UT_TRAP_RACE_CMDS);
	CU_ASSERT_EQUAL(rd(vm, HV_TRAPNET_R_TX_STATUS), HV_NET_S_OK);
	CU_ASSERT_EQUAL(t->st[TRAPNET_TX].frames, r.cmds);
	CU_ASSERT_EQUAL(t->tr.st.busy_writes, 0);
	ut_vm_free(vm);
}

/* Sends the 60 bytes at BUF and waits for the send to end; its status. */
static uint64_t send_wait(struct vm *vm)
{
	uint64_t st = HV_TRAPNET_ST_BUSY;

	wr(vm, HV_TRAPNET_R_TX_ADDR, BUF);
	wr(vm, HV_TRAPNET_R_TX_ADDR + 4, 0);
	wr(vm, HV_TRAPNET_R_TX_LEN, 60);
	wr(vm, HV_TRAPNET_R_TX_CMD, HV_TRAPNET_CMD_SEND);
	CU_ASSERT_TRUE(EVENTUALLY(!((st = rd(vm, HV_TRAPNET_R_TX_STATUS)) & HV_TRAPNET_ST_BUSY)));
	return st;
}

/*
 * LINK follows the backend's link (net_link_set, what the tap's watch calls
 * on the I/O thread): each change sets ISR.LINK; sends complete LINK_DOWN
 * while it is down and OK once it is up again; gone is for good.
 */
static void test_link_follows(void)
{
	struct vm *vm = ut_vm_with(MEM, &trapnet_dev_kind, "loop");
	struct trapnet_dev *t = vm_device(vm, &trapnet_dev_kind, 0);
	struct hv_dev_desc d;

	CU_ASSERT_EQUAL(rd(vm, HV_TRAPNET_R_LINK), 1);
	wr(vm, HV_TRAPNET_R_IER, HV_TRAPNET_INT_LINK);
	net_link_set(t->net.link, NET_LINK_DOWN);
	CU_ASSERT_EQUAL(rd(vm, HV_TRAPNET_R_LINK), 0);
	CU_ASSERT_EQUAL(rd(vm, HV_TRAPNET_R_ISR), HV_TRAPNET_INT_LINK);
	trapnet_dev_kind.update_desc(t, &d);
	CU_ASSERT_EQUAL(d.flags & HV_DEV_F_LINK_UP, 0);
	wr(vm, HV_TRAPNET_R_ISR, HV_TRAPNET_INT_LINK);
	CU_ASSERT_EQUAL(send_wait(vm), HV_NET_S_LINK_DOWN);
	net_link_set(t->net.link, NET_LINK_UP);
	CU_ASSERT_EQUAL(rd(vm, HV_TRAPNET_R_LINK), 1);
	CU_ASSERT_TRUE(rd(vm, HV_TRAPNET_R_ISR) & HV_TRAPNET_INT_LINK);
	trapnet_dev_kind.update_desc(t, &d);
	CU_ASSERT_EQUAL(d.flags & HV_DEV_F_LINK_UP, HV_DEV_F_LINK_UP);
	wr(vm, HV_TRAPNET_R_ISR, HV_TRAPNET_INT_LINK | HV_TRAPNET_INT_TX);
	CU_ASSERT_EQUAL(send_wait(vm), HV_NET_S_OK);
	net_link_set(t->net.link, NET_LINK_GONE);
	net_link_set(t->net.link, NET_LINK_UP); /* nothing comes back from gone */
	CU_ASSERT_EQUAL(rd(vm, HV_TRAPNET_R_LINK), 0);
	CU_ASSERT_EQUAL(t->net.link->downs, 2);
	CU_ASSERT_EQUAL(t->net.link->ups, 1);
	ut_vm_free(vm);
}

int suite_trapnet(void)
{
	static const CU_TestInfo tests[] = {
		{ "TX_STATUS, ISR and the interrupt change together", test_status_isr_together },
		{ "LINK follows the backend's link: down, up, gone", test_link_follows },
		CU_TEST_INFO_NULL,
	};
	return add_suite("trapnet", tests);
}
