/*
 * Address-range dispatch for trapped accesses: devices register a handler for
 * [base, base + len) on the port-I/O bus or the MMIO bus; the vCPU loop looks
 * the address up here and never knows a device by name.
 */
#ifndef HV_IO_BUS_H
#define HV_IO_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One access of size 1, 2, 4 or 8 bytes at offset off within the device's
 * range.  For a write, *val holds the value; for a read the handler stores it.
 */
typedef void (*io_handler_fn)(void *opaque, uint64_t off, bool is_write,
			      uint64_t *val, unsigned size);

struct io_range {
	uint64_t base;
	uint64_t len;
	io_handler_fn fn;
	void *opaque;
	const char *name;
	uint64_t accesses; /* for --stats */
};

#define IO_BUS_MAX 32

struct io_bus {
	struct io_range r[IO_BUS_MAX]; /* sorted by base, never overlapping */
	unsigned n;
};

/* 0, -EEXIST if the range overlaps one already there, -ENOSPC, -EINVAL. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    io_handler_fn fn, void *opaque, const char *name);

/* Removes the range starting at base; 0 or -ENOENT. */
int io_bus_unregister(struct io_bus *bus, uint64_t base);

/* The range holding addr, or NULL. */
struct io_range *io_bus_find(struct io_bus *bus, uint64_t addr);

/*
 * Dispatches one access.  Returns false when nothing is mapped at addr or the
 * access runs past the end of the range; a read then yields all ones, as on
 * an unclaimed bus.
 */
bool io_bus_access(struct io_bus *bus, uint64_t addr, bool is_write,
		   uint64_t *val, unsigned size);

#endif
