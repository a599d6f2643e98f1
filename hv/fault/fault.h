/*
 * Seeded fault injection (docs/FAULTS.md): the rules of --fault as data, and
 * the decision for one request.  Parsing has no side effects (cli.c calls it);
 * a device claims its rules when it is created and asks fault_disk() per
 * request only when it has any, so a device without rules pays one pointer
 * test.  Every decision is a pure function of (seed, device, queue, request
 * number, rule): no RNG state is shared or carried, so a seed replays a run.
 */
#ifndef HV_FAULT_H
#define HV_FAULT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FAULT_MAX_DEVS 8
#define FAULT_MAX_RULES 16
#define FAULT_MAX_QUEUES 2
#define FAULT_NAME_MAX 16
#define FAULT_MAX_DELAY_NS 10000000000ull /* 10 s: beyond it a driver's timeout is the test */

enum fault_action {
	FAULT_READ_ERROR,  /* a read fails with an I/O error, moving nothing */
	FAULT_WRITE_ERROR, /* a write fails with an I/O error, writing nothing */
	FAULT_FLUSH_ERROR, /* a flush fails with an I/O error */
	FAULT_DELAY,       /* the completion comes arg ns late */
	FAULT_TORN_WRITE,  /* half the write (whole sectors) reaches the disk, then an error */
	FAULT_WRONG_LEN,   /* completes OK with a byte count that is not the request's */
	FAULT_IRQ_LOST,    /* an interrupt is not raised (the completion is in the ring) */
	FAULT_IRQ_LATE,    /* an interrupt is raised arg ns late */
	FAULT_IRQ_DUP,     /* an interrupt is raised, and again 1 ms later */
	FAULT_DROP,        /* a frame the guest sent never leaves (the guest is told it did) */
	FAULT_DUP,         /* a frame leaves twice */
	FAULT_REORDER,     /* a frame leaves 1 ms late: the ones sent meanwhile overtake it */
	FAULT_CORRUPT,     /* one bit of a frame's payload flips on the way out */
	FAULT_LINK_FLAP,   /* the link goes down (the frame with it) and up arg ns later */
	/* the same on the frames hv delivers to the guest (rx-drop, ...), in that order */
	FAULT_RX_DROP,     /* a received frame never reaches the guest */
	FAULT_RX_DUP,      /* a received frame reaches the guest twice */
	FAULT_RX_REORDER,  /* a received frame reaches the guest after the next one */
	FAULT_RX_CORRUPT,  /* one bit of a received frame's payload flips */
	FAULT_NR_ACTIONS
};

enum fault_when {
	FAULT_ALWAYS,  /* every request */
	FAULT_PROB,    /* @pP: a request with probability P (a = P * 2^64, or ALWAYS) */
	FAULT_NTH,     /* @nN: request number a (1 = the queue's first) */
	FAULT_SECTORS, /* @sA-B: a request touching sectors a..b (inclusive) */
};

struct fault_rule {
	uint8_t action;  /* enum fault_action */
	uint8_t when;    /* enum fault_when */
	uint64_t arg;    /* FAULT_DELAY: ns */
	uint64_t a, b;   /* the condition's numbers */
};

/* The rules of one device queue, and where the I/O thread is in its requests. */
struct fault_dev {
	char name[FAULT_NAME_MAX]; /* as hv names the device: "pvblk0" */
	unsigned queue;
	uint64_t id;               /* hash of name and queue: the device in every decision */
	/* name and each of its interrupt queues (irq_id[0] is id: rules are a device's queue 0's) */
	uint64_t irq_id[FAULT_MAX_QUEUES];
	uint64_t seed;             /* the plan's, copied when claimed */
	unsigned nr;
	struct fault_rule rule[FAULT_MAX_RULES];
	bool claimed;              /* a device took these rules (fault_claim) */
	/* the I/O thread's (other threads read them relaxed) */
	uint64_t seq;              /* requests or frames seen so far */
	uint64_t irq_seq;          /* interrupts the device meant to raise, all queues */
	uint64_t irq_qseq[FAULT_MAX_QUEUES]; /* ... each queue's: what @nN counts */
	uint64_t rx_seq;           /* frames a NIC received for the guest */
	uint64_t fired[FAULT_NR_ACTIONS]; /* how often each action applied */
	/*
	 * New rules from the control API (fault_set_rules), under the plan's
	 * lock; next_ready tells the I/O thread to take them before its next
	 * decision (one atomic load a decision, only on a device with rules).
	 */
	struct fault_plan *plan;
	int next_ready;
	unsigned next_nr;
	struct fault_rule next[FAULT_MAX_RULES];
};

struct fault_plan {
	uint64_t seed;
	bool seed_given; /* --fault-seed; else main draws one and prints it */
	/*
	 * Every device claims an entry, rules or not (--api-sock: PUT /faults
	 * may give any device rules later), as long as FAULT_MAX_DEVS allows.
	 */
	bool any;
	unsigned nr;
	struct fault_dev dev[FAULT_MAX_DEVS];
	pthread_mutex_t lock; /* the rules in flight from the API to the I/O thread (fault_begin) */
};

/* --fault DEVICE[/QUEUE]:RULE[,RULE...] into p; 0 or -EINVAL with a one-line reason. */
int fault_parse(struct fault_plan *p, const char *arg, char *err, size_t errlen);

/* --fault-seed N (decimal, 64 bits); 0 or -EINVAL. */
int fault_parse_seed(struct fault_plan *p, const char *arg, char *err, size_t errlen);

/*
 * As hv starts: NULL without rules (and without p->any); else p, its seed
 * drawn (getrandom) if none was given, and printed on log if there are
 * rules, so that the run can be replayed (GET /faults shows it too).
 */
struct fault_plan *fault_begin(struct fault_plan *p, FILE *log);

/*
 * Device kind<index>'s rules for queue, claimed (and seeded), or NULL: none.
 * With p->any a device without rules gets an empty entry (its hooks on).
 */
struct fault_dev *fault_claim(struct fault_plan *p, const char *kind, unsigned index,
			      unsigned queue);

/* After the devices exist: 0, or -ENODEV naming a device no device claimed. */
int fault_check_claimed(const struct fault_plan *p, char *err, size_t errlen);

/*
 * Control API thread: replaces device name's rules with rules (the RULE
 * list of --fault, "" for none) from its next decision on.  0; -ENODEV if
 * the device has no entry (no such device; or hv started without --api-sock
 * and without rules for it: its hooks are off, no cost); -EINVAL with the
 * one-line reason for a bad rule.
 */
int fault_set_rules(struct fault_plan *p, const char *name, const char *rules, char *err,
		    size_t errlen);

/* A rule as --fault writes it ("delay=2ms@n5"), into buf. */
void fault_rule_text(const struct fault_rule *r, char *buf, size_t len);

/* The 64-bit draw for one (seed, device, request number, rule): pure. */
uint64_t fault_draw(uint64_t seed, uint64_t dev_id, uint64_t reqno, unsigned rule);

enum fault_io { FAULT_IO_READ, FAULT_IO_WRITE, FAULT_IO_FLUSH };

/* What the rules make of one disk request. */
struct fault_verdict {
	bool error;      /* fail it with an I/O error, no I/O */
	bool torn;       /* write only half, then fail */
	bool wrong_len;  /* report a byte count other than the request's */
	uint64_t delay_ns;
};

/*
 * I/O thread: the next request of f (a disk queue): io over count sectors
 * from sector.  Counts it; fills v; true if any rule applied.
 */
bool fault_disk(struct fault_dev *f, enum fault_io io, uint64_t sector, uint64_t count,
		struct fault_verdict *v);

/* What the rules make of one interrupt. */
struct fault_irq_verdict {
	bool lost, dup;
	uint64_t late_ns;
};

/*
 * I/O thread: the next interrupt f's device means to raise on its queue
 * (below FAULT_MAX_QUEUES; a PV NIC's RX and TX queues, HV_NET_Q_*, raise
 * their own), numbered apart from requests and per queue: @nN is that
 * queue's Nth interrupt, and each draw is keyed on the queue too.  Fills v;
 * true if any rule applied.
 */
bool fault_irq_decide(struct fault_dev *f, unsigned queue, struct fault_irq_verdict *v);

/* What the rules make of one frame the guest sends (or, rx, one it receives). */
struct fault_frame_verdict {
	bool drop, dup, reorder, corrupt;
	uint64_t flap_ns;   /* link down for this long; 0: no flap */
	uint64_t draw;      /* where a corruption lands (pure, like every decision) */
};

/*
 * I/O thread: the next frame f (a NIC) sends, or with rx receives (the rx-
 * rules, numbered apart: @nN is the Nth frame that way; flap_ns stays 0).
 * Fills v; true if any rule applied.
 */
bool fault_frame(struct fault_dev *f, bool rx, struct fault_frame_verdict *v);

/* The byte count a wrong-length completion reports instead of bytes. */
uint32_t fault_wrong_len(uint32_t bytes);

/* Half of a torn write of bytes (whole sectors, at least one less than asked). */
uint32_t fault_torn_len(uint32_t bytes);

#endif
