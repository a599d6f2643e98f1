/* Sorted range table for port-I/O and MMIO dispatch. */
#include "core/io_bus.h"

#include <errno.h>
#include <string.h>

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    io_handler_fn fn, void *opaque, const char *name)
{
	unsigned i;

	if (!len || !fn || base + len < base)
		return -EINVAL;
	if (bus->n == IO_BUS_MAX)
		return -ENOSPC;
	for (i = 0; i < bus->n; i++) {
		const struct io_range *r = &bus->r[i];
		if (base < r->base + r->len && r->base < base + len)
			return -EEXIST;
		if (base < r->base)
			break;
	}
	memmove(&bus->r[i + 1], &bus->r[i], (bus->n - i) * sizeof(bus->r[0]));
	bus->r[i] = (struct io_range){ base, len, fn, opaque, name, 0 };
	bus->n++;
	return 0;
}

int io_bus_unregister(struct io_bus *bus, uint64_t base)
{
	unsigned i;

	for (i = 0; i < bus->n; i++)
		if (bus->r[i].base == base) {
			memmove(&bus->r[i], &bus->r[i + 1], (bus->n - i - 1) * sizeof(bus->r[0]));
			bus->n--;
			return 0;
		}
	return -ENOENT;
}

struct io_range *io_bus_find(struct io_bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		struct io_range *r = &bus->r[mid];
		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

bool io_bus_access(struct io_bus *bus, uint64_t addr, bool is_write,
		   uint64_t *val, unsigned size)
{
	struct io_range *r = io_bus_find(bus, addr);

	if (!r || size > r->len - (addr - r->base)) {
		if (!is_write)
			*val = ~0ull;
		return false;
	}
	__atomic_fetch_add(&r->accesses, 1, __ATOMIC_RELAXED); /* every vCPU counts here */
	r->fn(r->opaque, addr - r->base, is_write, val, size);
	return true;
}
