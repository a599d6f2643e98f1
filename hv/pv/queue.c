/* HV_HC_QUEUE_ATTACH and HV_HC_QUEUE_DETACH for every kind of device with rings. */
#include "pv/queue.h"

#include "core/hypercall.h"
#include "core/vm.h"

/* The queue operations of device a0, or NULL after setting *rc. */
static const struct vm_device *queue_dev(struct vm *vm, uint64_t a0, int64_t *rc)
{
	if (a0 >= vm->nr_dev) {
		*rc = -HV_ENOENT;
		return NULL;
	}
	if (!vm->dev[a0].kind || !vm->dev[a0].kind->queue) {
		*rc = -HV_EINVAL; /* a device without rings */
		return NULL;
	}
	return &vm->dev[a0];
}

static int64_t hc_queue_attach(struct vm *vm, const uint64_t a[HC_NARGS])
{
	struct hv_queue_setup s;
	int64_t rc;
	const struct vm_device *d = queue_dev(vm, a[0], &rc);

	if (!d)
		return rc;
	/* Copy, then validate: the device sees only hv's copy. */
	if (gm_read(&vm->mem, &s, a[1], sizeof(s)))
		return -HV_EFAULT;
	return d->kind->queue->attach(d->dev, &s, vm->kvm);
}

static int64_t hc_queue_detach(struct vm *vm, const uint64_t a[HC_NARGS])
{
	int64_t rc;
	const struct vm_device *d = queue_dev(vm, a[0], &rc);

	if (!d)
		return rc;
	if (a[1] > UINT32_MAX)
		return -HV_EINVAL;
	return d->kind->queue->detach(d->dev, (uint32_t)a[1], vm->kvm);
}

void queue_register_hypercalls(struct hc_table *t)
{
	hc_register(t, HV_HC_QUEUE_ATTACH, hc_queue_attach, "queue_attach");
	hc_register(t, HV_HC_QUEUE_DETACH, hc_queue_detach, "queue_detach");
}
