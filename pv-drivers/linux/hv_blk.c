// SPDX-License-Identifier: GPL-2.0
/*
 * hv's PV disk (protocol/hv_blk.h) as a blk-mq block device, hvblk<N>.
 *
 * One hardware queue per hv queue (blk_queues, 1 while hv has one vCPU),
 * each a ring of blk_depth requests: a request's blk-mq tag is its id on
 * the ring, so every tag has a slot and the ring is never full.
 * Submissions are published once per batch (bd->last, commit_rqs) and ring
 * the doorbell only when hv's event index asks; completions arrive on the
 * queue's MSI-X entry and re-arm the event index only once drained.
 *
 * A lost interrupt is survived in NVMe's manner: blk-mq's timeout
 * (blk_timeout seconds) reaps the completion ring with the interrupt's own
 * code, which also re-arms the event index a lost interrupt left behind
 * (without that hv would suppress every later interrupt too).  A request
 * found complete is ended there, with one ratelimited line; one hv has not
 * completed yet gets its timer reset, at most blk_timeout_resets times.
 * Past that, or at a completion hv gets wrong (unknown id, one not in
 * flight), the queue breaks: it is detached (hv lets go of the rings and
 * the buffers, so no request is failed while hv may still write into it)
 * and every outstanding request fails with an I/O error, as do later ones;
 * nothing waits for ever.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>

#include "hv_blk.h"
#include "hv_pv.h"

static unsigned int blk_queues = 1;
module_param(blk_queues, uint, 0444);
MODULE_PARM_DESC(blk_queues, "PV disk: hardware queues (hv queues and MSI-X entries), default 1");
static unsigned int blk_depth = 64;
module_param(blk_depth, uint, 0444);
MODULE_PARM_DESC(blk_depth, "PV disk: requests in flight per queue, a power of two (ring entries)");
/*
 * A few seconds, not Linux's 30: hv's disk answers in milliseconds, so a
 * request this old has lost its interrupt (or hv is stuck), and a lost
 * interrupt costs the guest this long.  Per disk: queue/io_timeout (ms).
 */
static unsigned int blk_timeout = 5;
module_param(blk_timeout, uint, 0444);
MODULE_PARM_DESC(blk_timeout, "PV disk: seconds before a request's completion is looked for without an interrupt (default 5)");
static unsigned int blk_timeout_resets = 6;
module_param(blk_timeout_resets, uint, 0644);
MODULE_PARM_DESC(blk_timeout_resets, "PV disk: timeouts a request hv has not completed waits again before the queue breaks (default 6)");

struct hvb_dev;

struct hvb_queue {
	struct hv_pv_queue pq;
	spinlock_t lock; /* the ring and broken */
	struct hvb_dev *dev;
	unsigned int nr;
	int irq;
	bool broken;
	char name[32];
};

struct hvb_dev {
	struct pci_dev *pdev;
	struct hv_dev_desc desc;
	u32 index; /* HV_HC_DEV_INFO index: the PCI subsystem ID */
	unsigned int nr_queues, depth;
	struct hvb_queue *q;
	struct blk_mq_tag_set tags;
	struct gendisk *disk;
};

/* Per request (blk-mq's PDU). */
struct hvb_cmd {
	struct scatterlist sg[HV_BLK_MAX_SEG];
	int nents; /* mapped entries, 0 for a flush */
	blk_status_t status;
	unsigned int resets; /* timeouts that found it still with hv */
};

static void hvb_break(struct hvb_queue *q, const char *why);

static int hvb_op(struct request *rq, u32 *op)
{
	switch (req_op(rq)) {
	case REQ_OP_READ:
		*op = HV_BLK_OP_READ;
		return 0;
	case REQ_OP_WRITE:
		*op = (rq->cmd_flags & REQ_FUA) ? HV_BLK_OP_WRITE_FUA : HV_BLK_OP_WRITE;
		return 0;
	case REQ_OP_FLUSH:
		*op = HV_BLK_OP_FLUSH;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static void hvb_unmap(struct hvb_dev *d, struct request *rq)
{
	struct hvb_cmd *c = blk_mq_rq_to_pdu(rq);

	if (c->nents)
		dma_unmap_sg(&d->pdev->dev, c->sg, c->nents, rq_dma_dir(rq));
	c->nents = 0;
}

/* Fills ring entry e from the mapped request: false if a segment breaks hv's rules. */
static bool hvb_fill(struct hv_blk_req *e, struct request *rq, u32 op)
{
	struct hvb_cmd *c = blk_mq_rq_to_pdu(rq);
	struct scatterlist *sg;
	int i;

	e->id = rq->tag;
	e->sector = op == HV_BLK_OP_FLUSH ? 0 : blk_rq_pos(rq);
	e->op = op;
	e->nr_seg = c->nents;
	e->reserved = 0;
	for_each_sg(c->sg, sg, c->nents, i) {
		dma_addr_t a = sg_dma_address(sg);
		u32 len = sg_dma_len(sg);

		if ((a | len) & (HV_BLK_SEG_ALIGN - 1))
			return false;
		e->seg[i] = (struct hv_blk_seg){ .gpa = a, .len = len };
	}
	return true;
}

static blk_status_t hvb_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct hvb_queue *q = hctx->driver_data;
	struct hvb_dev *d = q->dev;
	struct request *rq = bd->rq;
	struct hvb_cmd *c = blk_mq_rq_to_pdu(rq);
	blk_status_t st = BLK_STS_OK;
	struct hv_blk_req *e;
	unsigned long flags;
	bool ring = false;
	u32 op;
	int n;

	if (hvb_op(rq, &op))
		return BLK_STS_NOTSUPP;
	c->nents = 0;
	c->status = BLK_STS_OK;
	c->resets = 0;
	if (op != HV_BLK_OP_FLUSH) {
		sg_init_table(c->sg, HV_BLK_MAX_SEG);
		n = blk_rq_map_sg(rq->q, rq, c->sg);
		if (n <= 0 || n > HV_BLK_MAX_SEG)
			return BLK_STS_IOERR;
		c->nents = dma_map_sg(&d->pdev->dev, c->sg, n, rq_dma_dir(rq));
		if (!c->nents)
			return BLK_STS_RESOURCE;
	}
	blk_mq_start_request(rq);

	spin_lock_irqsave(&q->lock, flags);
	if (q->broken) {
		st = BLK_STS_IOERR;
	} else if (!(e = pv_ring_sq_slot(&q->pq.ring))) {
		/* Not with one tag per slot; restarted by the next completion. */
		blk_mq_stop_hw_queue(hctx);
		st = BLK_STS_DEV_RESOURCE;
	} else if (!hvb_fill(e, rq, op)) {
		pr_err_ratelimited("%s: a segment not %u-byte aligned\n", d->disk->disk_name,
				   HV_BLK_SEG_ALIGN);
		st = BLK_STS_IOERR;
	} else {
		pv_ring_sq_push(&q->pq.ring);
	}
	if (bd->last && !q->broken)
		ring = hv_pv_queue_publish(&q->pq);
	spin_unlock_irqrestore(&q->lock, flags);
	if (ring)
		hv_pv_queue_ring(&q->pq); /* with interrupts on: hv_pv.h */
	if (st != BLK_STS_OK)
		hvb_unmap(d, rq);
	return st;
}

static void hvb_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct hvb_queue *q = hctx->driver_data;
	unsigned long flags;
	bool ring;

	spin_lock_irqsave(&q->lock, flags);
	ring = !q->broken && hv_pv_queue_publish(&q->pq);
	spin_unlock_irqrestore(&q->lock, flags);
	if (ring)
		hv_pv_queue_ring(&q->pq);
}

static void hvb_complete(struct request *rq)
{
	struct hvb_dev *d = rq->q->queuedata;
	struct hvb_cmd *c = blk_mq_rq_to_pdu(rq);

	hvb_unmap(d, rq);
	blk_mq_end_request(rq, c->status);
}

/* The in-flight request with this id on queue q, or NULL. */
static struct request *hvb_find(struct hvb_queue *q, u64 id)
{
	struct request *rq;

	if (id >= q->dev->depth)
		return NULL;
	rq = blk_mq_tag_to_rq(q->dev->tags.tags[q->nr], (unsigned int)id);
	if (!rq || blk_mq_rq_state(rq) != MQ_RQ_IN_FLIGHT)
		return NULL;
	return rq;
}

/*
 * Takes every completion, then re-arms the event index (again if one
 * slipped in): the interrupt's work, and the timeout's after a lost one.
 * The number of completions taken.
 */
static unsigned int hvb_reap(struct hvb_queue *q)
{
	struct hv_blk_cpl cpl;
	struct request *rq;
	unsigned long flags;
	unsigned int n = 0;
	bool bad = false;

	spin_lock_irqsave(&q->lock, flags);
	do {
		while (!q->broken && pv_ring_cq_take(&q->pq.ring, &cpl, sizeof(cpl))) {
			struct hvb_cmd *c;

			rq = hvb_find(q, cpl.id);
			if (!rq) {
				bad = true;
				break;
			}
			n++;
			c = blk_mq_rq_to_pdu(rq);
			if (cpl.status != HV_BLK_S_OK) {
				pr_err_ratelimited("%s: request at sector %llu: hv status %u\n",
						   q->dev->disk->disk_name,
						   (unsigned long long)blk_rq_pos(rq), cpl.status);
				c->status = BLK_STS_IOERR;
			} else if (req_op(rq) != REQ_OP_FLUSH && cpl.bytes != blk_rq_bytes(rq)) {
				pr_err_ratelimited("%s: %u of %u bytes transferred\n",
						   q->dev->disk->disk_name, cpl.bytes,
						   blk_rq_bytes(rq));
				c->status = BLK_STS_IOERR;
			}
			if (likely(!blk_should_fake_timeout(rq->q)))
				blk_mq_complete_request(rq);
		}
	} while (!bad && !q->broken && pv_ring_cq_arm_irq(&q->pq.ring));
	spin_unlock_irqrestore(&q->lock, flags);
	if (bad)
		hvb_break(q, "a completion for no request in flight");
	blk_mq_start_stopped_hw_queues(q->dev->disk->queue, true);
	return n;
}

static irqreturn_t hvb_irq(int irq, void *data)
{
	hvb_reap(data);
	return IRQ_HANDLED;
}

static bool hvb_fail_one(struct request *rq, void *data)
{
	struct hvb_queue *q = data;
	struct hvb_cmd *c = blk_mq_rq_to_pdu(rq);

	if (rq->mq_hctx->driver_data != q || blk_mq_rq_state(rq) != MQ_RQ_IN_FLIGHT)
		return true;
	c->status = BLK_STS_IOERR;
	blk_mq_complete_request(rq);
	return true;
}

/*
 * Detaches the queue first, so that hv no longer reads or writes the
 * requests' buffers, then fails everything still in flight.
 */
static void hvb_break(struct hvb_queue *q, const char *why)
{
	unsigned long flags;
	bool was;

	spin_lock_irqsave(&q->lock, flags);
	was = q->broken;
	q->broken = true;
	spin_unlock_irqrestore(&q->lock, flags);
	if (was)
		return;
	pr_err("%s: queue %u broken (%s): detached, outstanding requests fail\n",
	       q->dev->disk->disk_name, q->nr, why);
	hv_pv_queue_detach(&q->pq);
	blk_mq_tagset_busy_iter(&q->dev->tags, hvb_fail_one, q);
}

/*
 * blk-mq's timeout (a worker; it holds rq, which stays valid): NVMe's
 * answer to a lost interrupt.  Reaping ends rq if hv completed it; else hv
 * still owns its buffers, so it waits again, and only a bounded number of
 * times: then the queue breaks (hvb_break: detached first, rq and the rest
 * failed with BLK_STS_IOERR), which is BLK_EH_DONE since rq is ended.
 */
static enum blk_eh_timer_return hvb_timeout(struct request *rq)
{
	struct hvb_queue *q = rq->mq_hctx->driver_data;
	struct hvb_cmd *c = blk_mq_rq_to_pdu(rq);
	unsigned long long sector = blk_rq_pos(rq);
	unsigned int secs = jiffies_to_msecs(rq->timeout) / 1000;
	unsigned int n = hvb_reap(q);

	if (blk_mq_rq_state(rq) != MQ_RQ_IN_FLIGHT) {
		/* n == 0: the interrupt came as the timer fired, and ended it. */
		if (n)
			pr_warn_ratelimited("%s: queue %u: request at sector %llu: completion found without an interrupt after %u s (%u taken)\n",
					    q->dev->disk->disk_name, q->nr, sector, secs, n);
		return BLK_EH_DONE;
	}
	if (++c->resets <= READ_ONCE(blk_timeout_resets)) {
		pr_warn_ratelimited("%s: queue %u: request at sector %llu: no completion after %u s, waiting again (%u of %u)\n",
				    q->dev->disk->disk_name, q->nr, sector, secs, c->resets,
				    READ_ONCE(blk_timeout_resets));
		return BLK_EH_RESET_TIMER;
	}
	hvb_break(q, "a request hv did not complete in its timeouts");
	return BLK_EH_DONE;
}

static int hvb_init_hctx(struct blk_mq_hw_ctx *hctx, void *data, unsigned int nr)
{
	struct hvb_dev *d = data;

	hctx->driver_data = &d->q[nr];
	return 0;
}

static const struct blk_mq_ops hvb_mq_ops = {
	.queue_rq = hvb_queue_rq,
	.commit_rqs = hvb_commit_rqs,
	.complete = hvb_complete,
	.timeout = hvb_timeout,
	.init_hctx = hvb_init_hctx,
};

/* A read-only disk is refused at open for writing, before any write is queued. */
static int hvb_open(struct block_device *bdev, fmode_t mode)
{
	struct hvb_dev *d = bdev->bd_disk->private_data;

	if ((mode & FMODE_WRITE) && (d->desc.flags & HV_DEV_F_RO))
		return -EROFS;
	return 0;
}

static const struct block_device_operations hvb_fops = {
	.owner = THIS_MODULE,
	.open = hvb_open,
};

static void hvb_free_queues(struct hvb_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_queues; i++) {
		struct hvb_queue *q = &d->q[i];

		hv_pv_queue_detach(&q->pq);
		if (q->irq > 0)
			free_irq(q->irq, q);
		hv_pv_queue_free(&q->pq);
	}
	kfree(d->q);
	d->q = NULL;
	d->nr_queues = 0;
}

/* The queues' rings, interrupts and attachments (d->q is allocated). */
static int hvb_setup_queues(struct hvb_dev *d, unsigned int nr)
{
	unsigned int i;
	int err;

	for (i = 0; i < nr; i++) {
		struct hvb_queue *q = &d->q[i];

		d->nr_queues = i + 1;
		spin_lock_init(&q->lock);
		q->dev = d;
		q->nr = i;
		err = hv_pv_queue_init(&q->pq, d->depth, sizeof(struct hv_blk_req), d->depth,
				       sizeof(struct hv_blk_cpl));
		if (err)
			return err;
		snprintf(q->name, sizeof(q->name), "hvblk%u-q%u", d->desc.index, i);
		q->irq = pci_irq_vector(d->pdev, i);
		err = request_irq(q->irq, hvb_irq, 0, q->name, q);
		if (err) {
			q->irq = 0;
			return err;
		}
		/* Queue i completes on MSI-X entry i. */
		err = hv_pv_queue_attach(&q->pq, d->index, i, i);
		if (err)
			return err;
	}
	return 0;
}

/* The tag set and the disk, before the queues (their interrupts find both). */
static int hvb_setup_disk(struct hvb_dev *d, unsigned int nr_queues)
{
	u32 ss = d->desc.sector_size;
	struct request_queue *rq;
	int err;

	d->tags = (struct blk_mq_tag_set){
		.ops = &hvb_mq_ops,
		.nr_hw_queues = nr_queues,
		.queue_depth = d->depth,
		.numa_node = NUMA_NO_NODE,
		.cmd_size = sizeof(struct hvb_cmd),
		.flags = BLK_MQ_F_SHOULD_MERGE,
		.driver_data = d,
	};
	err = blk_mq_alloc_tag_set(&d->tags);
	if (err)
		return err;
	d->disk = blk_mq_alloc_disk(&d->tags, d);
	if (IS_ERR(d->disk)) {
		err = PTR_ERR(d->disk);
		d->disk = NULL;
		blk_mq_free_tag_set(&d->tags);
		return err;
	}
	rq = d->disk->queue;
	blk_queue_logical_block_size(rq, ss);
	blk_queue_physical_block_size(rq, ss);
	blk_queue_max_segments(rq, HV_BLK_MAX_SEG);
	blk_queue_max_hw_sectors(rq, HV_BLK_MAX_BYTES >> SECTOR_SHIFT);
	blk_queue_max_segment_size(rq, HV_BLK_MAX_BYTES);
	blk_queue_dma_alignment(rq, HV_BLK_SEG_ALIGN - 1);
	/* A volatile cache (hv's page cache) with flush, and FUA writes. */
	blk_queue_write_cache(rq, true, true);
	blk_queue_rq_timeout(rq, blk_timeout * HZ);
	d->disk->fops = &hvb_fops;
	d->disk->private_data = d;
	snprintf(d->disk->disk_name, DISK_NAME_LEN, "hvblk%u", d->desc.index);
	set_capacity(d->disk, d->desc.capacity); /* 512-byte sectors, as the descriptor's */
	set_disk_ro(d->disk, !!(d->desc.flags & HV_DEV_F_RO));
	return 0;
}

static void hvb_free_disk(struct hvb_dev *d)
{
	put_disk(d->disk);
	blk_mq_free_tag_set(&d->tags);
}

static int hvb_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct hvb_dev *d;
	unsigned int nq;
	int err;

	if (!hv_ring_size_ok(blk_depth)) {
		dev_err(&pdev->dev, "blk_depth=%u is not a power of two in [%u, %u]\n", blk_depth,
			HV_RING_MIN, HV_RING_MAX);
		return -EINVAL;
	}
	if (!blk_timeout || blk_timeout > 3600) {
		dev_err(&pdev->dev, "blk_timeout=%u is not a number of seconds in [1, 3600]\n",
			blk_timeout);
		return -EINVAL;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->pdev = pdev;
	d->index = pdev->subsystem_device;
	d->depth = blk_depth;
	err = hv_pv_dev_info(d->index, &d->desc);
	if (!err && d->desc.type != HV_DEV_PVBLK)
		err = -ENODEV;
	if (!err && (d->desc.sector_size < 512 || d->desc.sector_size > PAGE_SIZE ||
		     !is_power_of_2(d->desc.sector_size)))
		err = -EINVAL;
	if (err) {
		dev_err(&pdev->dev, "device %u: no PV disk descriptor (%d)\n", d->index, err);
		goto free;
	}
	nq = min_t(unsigned int, max(blk_queues, 1u), d->desc.irq);
	if (!nq) {
		dev_err(&pdev->dev, "device %u has no MSI-X entry\n", d->index);
		err = -ENODEV;
		goto free;
	}
	err = hv_pv_pci_up(pdev, nq);
	if (err)
		goto free;
	/* Before the disk: its hardware contexts point at their queues. */
	d->q = kcalloc(nq, sizeof(*d->q), GFP_KERNEL);
	err = d->q ? hvb_setup_disk(d, nq) : -ENOMEM;
	if (err)
		goto vectors;
	err = hvb_setup_queues(d, nq);
	if (!err)
		err = add_disk(d->disk); /* reads the partition table: the queues are up */
	if (err)
		goto queues;
	pci_set_drvdata(pdev, d);
	dev_info(&pdev->dev, "%s: %llu sectors of 512 bytes, %u-byte blocks%s, %u queue(s) of %u\n",
		 d->disk->disk_name, (unsigned long long)d->desc.capacity, d->desc.sector_size,
		 (d->desc.flags & HV_DEV_F_RO) ? ", read-only" : "", d->nr_queues, d->depth);
	return 0;
queues:
	hvb_free_queues(d);
	hvb_free_disk(d);
vectors:
	kfree(d->q);
	hv_pv_pci_down(pdev);
free:
	kfree(d);
	return err;
}

static void hvb_remove(struct pci_dev *pdev)
{
	struct hvb_dev *d = pci_get_drvdata(pdev);

	del_gendisk(d->disk); /* waits for every request */
	hvb_free_queues(d);
	hv_pv_pci_down(pdev);
	hvb_free_disk(d);
	kfree(d);
}

static const struct pci_device_id hvb_ids[] = {
	{ PCI_DEVICE(HV_PCI_VENDOR, HV_PCI_DEV_PVBLK) },
	{ 0 },
};
MODULE_DEVICE_TABLE(pci, hvb_ids);

struct pci_driver hv_blk_driver = {
	.name = "hv_blk",
	.id_table = hvb_ids,
	.probe = hvb_probe,
	.remove = hvb_remove,
};
