/* 16550 model as a polled driver sees it. */
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "suites.h"
#include "trap/uart.h"

static char out[64];
static unsigned nout;

static void sink(void *opaque, const char *s, unsigned len)
{
	(void)opaque;
	while (len-- && nout < sizeof(out))
		out[nout++] = *s++;
}

static uint8_t rd(struct uart *u, unsigned reg)
{
	uint64_t v;
	uart_io(u, reg, false, &v, 1);
	return (uint8_t)v;
}

static void wr(struct uart *u, unsigned reg, uint8_t b)
{
	uint64_t v = b;
	uart_io(u, reg, true, &v, 1);
}

static void test_polled_tx(void)
{
	struct uart u;
	const char *msg = "hi\n";
	nout = 0;
	uart_init(&u, sink, NULL);
	/* The classic init: 8N1 at 115200, FIFOs on. */
	wr(&u, 1, 0x00);
	wr(&u, 3, 0x80);
	wr(&u, 0, 0x01);
	wr(&u, 1, 0x00);
	wr(&u, 3, 0x03);
	wr(&u, 2, 0xc7);
	wr(&u, 4, 0x0b);
	for (; *msg; msg++) {
		CU_ASSERT(rd(&u, 5) & 0x20);
		wr(&u, 0, (uint8_t)*msg);
	}
	CU_ASSERT_EQUAL(nout, 3);
	CU_ASSERT_EQUAL(memcmp(out, "hi\n", 3), 0);
	CU_ASSERT_EQUAL(u.tx_bytes, 3);
	CU_ASSERT_EQUAL(rd(&u, 3), 0x03);
	CU_ASSERT_EQUAL(rd(&u, 2) & 0xc1, 0xc1); /* FIFOs on, no interrupt */
}

static void test_divisor_latch(void)
{
	struct uart u;
	nout = 0;
	uart_init(&u, sink, NULL);
	wr(&u, 3, 0x80);
	wr(&u, 0, 0x34);
	wr(&u, 1, 0x12);
	CU_ASSERT_EQUAL(rd(&u, 0), 0x34);
	CU_ASSERT_EQUAL(rd(&u, 1), 0x12);
	CU_ASSERT_EQUAL(nout, 0); /* DLAB writes are not data */
	wr(&u, 3, 0x03);
	CU_ASSERT_EQUAL(rd(&u, 1), 0x00); /* IER again */
}

static void test_scratch_loopback(void)
{
	struct uart u;
	nout = 0;
	uart_init(&u, sink, NULL);
	wr(&u, 7, 0xa5);
	CU_ASSERT_EQUAL(rd(&u, 7), 0xa5);
	wr(&u, 4, 0x1e); /* loopback with RTS, OUT1, OUT2 */
	CU_ASSERT_EQUAL(rd(&u, 6) & 0xf0, 0xd0);
	wr(&u, 0, 'x');
	CU_ASSERT_EQUAL(nout, 0); /* loopback output does not leave the chip */
	wr(&u, 5, 0x00);          /* LSR is read-only */
	CU_ASSERT_EQUAL(rd(&u, 5), 0x60);
}

static void test_wide_access(void)
{
	struct uart u;
	uint64_t v = 0;
	nout = 0;
	uart_init(&u, sink, NULL);
	/* A 16-bit read at LSR reads LSR and MSR (CTS, DSR, DCD), one byte each. */
	uart_io(&u, 5, false, &v, 2);
	CU_ASSERT_EQUAL(v, 0xb060);
	/* Past the window reads as zero bytes: only SCR is there. */
	wr(&u, 7, 0xa5);
	v = ~0ull;
	uart_io(&u, 7, false, &v, 4);
	CU_ASSERT_EQUAL(v, 0xa5);
	/* The whole window at once, RBR to SCR. */
	uart_io(&u, 0, false, &v, 8);
	CU_ASSERT_EQUAL(v, 0xa5b0600000010000ull);
	/* A 16-bit write at THR sends the low byte and sets IER (4 bits) from the high one. */
	v = 'h' | 0xf9u << 8;
	uart_io(&u, 0, true, &v, 2);
	CU_ASSERT_EQUAL(nout, 1);
	CU_ASSERT_EQUAL(out[0], 'h');
	CU_ASSERT_EQUAL(rd(&u, 1), 0x09);
	/* Writes past the window are dropped; MSR ignores its byte. */
	v = 0xeeddccbb3c11ull;
	uart_io(&u, 6, true, &v, 8);
	CU_ASSERT_EQUAL(rd(&u, 7), 0x3c);
	CU_ASSERT_EQUAL(rd(&u, 6), 0xb0);
}

/* Edges signalled on an eventfd so far (reads and clears the count). */
static uint64_t edges(int fd)
{
	uint64_t n = 0;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* Linux's 8250 as it runs: THRE interrupts while it sends, IIR taking them. */
static void test_thre_interrupts(void)
{
	struct uart u;
	nout = 0;
	uart_init(&u, sink, NULL);
	u.irq_fd = eventfd(0, EFD_NONBLOCK);
	CU_ASSERT_EQUAL(rd(&u, 2) & 0x0f, 0x01);     /* nothing pending */
	wr(&u, 1, 0x02);                              /* THRI on, THR empty: an edge */
	CU_ASSERT_EQUAL(edges(u.irq_fd), 1);
	CU_ASSERT_EQUAL(rd(&u, 2) & 0x0f, 0x02);     /* THRE, and the read takes it */
	CU_ASSERT_EQUAL(rd(&u, 2) & 0x0f, 0x01);
	wr(&u, 0, 'a');                               /* sent at once: THRE again, a new edge */
	CU_ASSERT_EQUAL(edges(u.irq_fd), 1);
	wr(&u, 0, 'b');                               /* the line is still high: no edge */
	CU_ASSERT_EQUAL(edges(u.irq_fd), 0);
	wr(&u, 1, 0x00);                              /* the driver stops: line low */
	CU_ASSERT_EQUAL(rd(&u, 2) & 0x0f, 0x01);
	CU_ASSERT_EQUAL(nout, 2);
	close(u.irq_fd);
}

/* Received bytes: held until the driver listens, 16 at most, DR and RDI while there. */
static void test_receive(void)
{
	char in[40];
	struct uart u;
	unsigned i;
	uint64_t room;

	uart_init(&u, sink, NULL);
	u.irq_fd = eventfd(0, EFD_NONBLOCK);
	u.room_fd = eventfd(0, EFD_NONBLOCK);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)('A' + i);
	CU_ASSERT_EQUAL(uart_receive(&u, in, sizeof(in)), 0); /* nobody listening */
	wr(&u, 1, 0x01);                                       /* RDI, but OUT2 off */
	CU_ASSERT_EQUAL(uart_receive(&u, in, sizeof(in)), 0);
	wr(&u, 4, 0x18);                                       /* OUT2 in loopback: no */
	CU_ASSERT_EQUAL(uart_receive(&u, in, sizeof(in)), 0);
	wr(&u, 4, 0x08);                                       /* OUT2: listening */
	CU_ASSERT_EQUAL(edges(u.room_fd), 1);                  /* room is signalled */
	CU_ASSERT_EQUAL(uart_receive(&u, in, sizeof(in)), 16); /* the FIFO's worth */
	CU_ASSERT_EQUAL(uart_receive(&u, in + 16, 4), 0);      /* full: nothing dropped */
	CU_ASSERT_EQUAL(edges(u.irq_fd), 1);
	CU_ASSERT_EQUAL(rd(&u, 2) & 0x0f, 0x04);               /* received data */
	CU_ASSERT(rd(&u, 5) & 0x01);
	for (i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(rd(&u, 0), 'A' + i);
	CU_ASSERT_FALSE(rd(&u, 5) & 0x01);
	CU_ASSERT_EQUAL(rd(&u, 2) & 0x0f, 0x01);
	room = edges(u.room_fd);
	CU_ASSERT(room >= 1);                                  /* empty: room again */
	CU_ASSERT_EQUAL(uart_receive(&u, in + 16, 4), 4);
	CU_ASSERT_EQUAL(rd(&u, 0), 'Q');
	wr(&u, 2, 0x03);                                       /* FCR clears the FIFO */
	CU_ASSERT_FALSE(rd(&u, 5) & 0x01);
	CU_ASSERT_EQUAL(u.rx_bytes, 20);
	close(u.irq_fd);
	close(u.room_fd);
}

int suite_uart(void)
{
	static const CU_TestInfo t[] = {
		{ "THR-empty interrupts as edges", test_thre_interrupts },
		{ "receive FIFO, the listening gate, room", test_receive },
		{ "polled transmit", test_polled_tx },
		{ "divisor latch", test_divisor_latch },
		{ "scratch and loopback", test_scratch_loopback },
		{ "wide and edge accesses", test_wide_access },
		CU_TEST_INFO_NULL,
	};
	return add_suite("uart", t);
}
