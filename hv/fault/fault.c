/* Fault rules: the --fault grammar, and each request's seeded decision. */
#include "fault/fault.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "hv_abi.h"
#include "core/util.h"

#define BIT(a) (1u << (a))
#define IRQ_ACTIONS (BIT(FAULT_IRQ_LOST) | BIT(FAULT_IRQ_LATE) | BIT(FAULT_IRQ_DUP))
#define DISK_ACTIONS (BIT(FAULT_DROP) - 1) /* the disk rules, then the interrupt rules */
#define TX_ACTIONS (BIT(FAULT_RX_DROP) - BIT(FAULT_DROP))   /* on the frames a NIC sends */
#define RX_ACTIONS (BIT(FAULT_NR_ACTIONS) - BIT(FAULT_RX_DROP)) /* ... and receives */
#define NIC_ACTIONS (TX_ACTIONS | RX_ACTIONS | IRQ_ACTIONS)

/* What a device kind's name starts with, and which actions it takes. */
static const struct fault_kind {
	const char *prefix;
	unsigned queues;   /* queue numbers it has */
	uint32_t actions;  /* 1 << enum fault_action */
} kinds[] = {
	{ "pvblk", 1, DISK_ACTIONS },
	{ "trapblk", 1, DISK_ACTIONS },
	{ "pvnet", 1, NIC_ACTIONS },
	{ "trapnet", 1, NIC_ACTIONS },
};

static const struct fault_action_def {
	const char *name;
	bool has_arg;   /* a duration: NAME=DUR */
	bool sectors;   /* @sA-B makes sense: the request has sectors */
} actions[FAULT_NR_ACTIONS] = {
	[FAULT_READ_ERROR] = { "read-error", false, true },
	[FAULT_WRITE_ERROR] = { "write-error", false, true },
	[FAULT_FLUSH_ERROR] = { "flush-error", false, false },
	[FAULT_DELAY] = { "delay", true, true },
	[FAULT_TORN_WRITE] = { "torn-write", false, true },
	[FAULT_WRONG_LEN] = { "wrong-len", false, true },
	[FAULT_IRQ_LOST] = { "irq-lost", false, false },
	[FAULT_IRQ_LATE] = { "irq-late", true, false },
	[FAULT_IRQ_DUP] = { "irq-dup", false, false },
	[FAULT_DROP] = { "drop", false, false },
	[FAULT_DUP] = { "dup", false, false },
	[FAULT_REORDER] = { "reorder", false, false },
	[FAULT_CORRUPT] = { "corrupt", false, false },
	[FAULT_LINK_FLAP] = { "link-flap", true, false },
	[FAULT_RX_DROP] = { "rx-drop", false, false },
	[FAULT_RX_DUP] = { "rx-dup", false, false },
	[FAULT_RX_REORDER] = { "rx-reorder", false, false },
	[FAULT_RX_CORRUPT] = { "rx-corrupt", false, false },
};
_Static_assert(FAULT_NR_ACTIONS <= 32, "a rule mask is 32 bits");
_Static_assert(FAULT_RX_CORRUPT - FAULT_RX_DROP == FAULT_CORRUPT - FAULT_DROP,
	       "the rx- rules mirror the send rules");

/* The rules each kind takes, for a refusal's message. */
#define DISK_LIST "read-error, write-error, flush-error, delay=DUR, torn-write, wrong-len, " \
		  "irq-lost, irq-late=DUR, irq-dup"
#define NIC_LIST "drop, dup, reorder, corrupt, link-flap=DUR, rx-drop, rx-dup, rx-reorder, " \
		 "rx-corrupt, irq-lost, irq-late=DUR, irq-dup"

/* A decimal number of at most 19 digits (below 10^19, fits 64 bits) from *s; -1 if none. */
static int dec(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t n = 0;

	for (; *p >= '0' && *p <= '9' && p - *s < 19; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (p == *s || (*p >= '0' && *p <= '9'))
		return -1;
	*s = p;
	*v = n;
	return 0;
}

/* "2ms", "500us", "1s", "100ns" (a decimal count and its unit) -> ns, up to 10 s. */
static int parse_duration(const char *s, size_t len, uint64_t *ns)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	const char *p = s;
	uint64_t v;
	size_t i;

	if (dec(&p, &v))
		return -1;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if ((size_t)(s + len - p) == strlen(units[i].unit) &&
		    !strncmp(p, units[i].unit, strlen(units[i].unit))) {
			if (v > FAULT_MAX_DELAY_NS / units[i].ns || v == 0)
				return -1;
			*ns = v * units[i].ns;
			return 0;
		}
	return -1;
}

/* "0.01", "1", "0", ".5" -> P * 2^64 (1 -> ALWAYS instead); at most 18 decimals. */
static int parse_prob(const char *s, size_t len, struct fault_rule *r)
{
	unsigned __int128 num = 0, den = 1;
	bool dot = false, digit = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '.' && !dot) {
			dot = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || den >= 1000000000000000000ull)
			return -1;
		digit = true;
		num = num * 10 + (unsigned)(s[i] - '0');
		if (dot)
			den *= 10;
	}
	if (!digit || num > den)
		return -1;
	if (num == den) {
		r->when = FAULT_ALWAYS;
		return 0;
	}
	r->when = FAULT_PROB;
	r->a = (uint64_t)((num << 64) / den);
	return 0;
}

/* The condition after '@': pP, nN or sA-B. */
static int parse_when(const char *dev, const char *s, size_t len, struct fault_rule *r,
		      char *err, size_t errlen)
{
	const char *p = s + 1, *end = s + len;

	if (len >= 2 && s[0] == 'p') {
		if (parse_prob(s + 1, len - 1, r))
			return err_msg(-EINVAL, err, errlen, "--fault: %s: bad probability '%.*s' "
				       "(0 to 1, e.g. p0.01)", dev, (int)len, s);
		return 0;
	}
	if (len >= 2 && s[0] == 'n') {
		if (dec(&p, &r->a) || p != end || r->a == 0)
			return err_msg(-EINVAL, err, errlen, "--fault: %s: bad request number '%.*s' "
				       "(n1 is the queue's first request)", dev, (int)len, s);
		r->when = FAULT_NTH;
		return 0;
	}
	if (len >= 2 && s[0] == 's') {
		if (dec(&p, &r->a) || *p != '-' || (p++, dec(&p, &r->b)) || p != end ||
		    r->a > r->b)
			return err_msg(-EINVAL, err, errlen, "--fault: %s: bad sector range '%.*s' "
				       "(sA-B, A <= B)", dev, (int)len, s);
		if (!actions[r->action].sectors)
			return err_msg(-EINVAL, err, errlen, "--fault: %s: %s: %s has no sectors: use "
				       "@p or @n", dev, actions[r->action].name,
				       r->action == FAULT_FLUSH_ERROR ? "a flush" :
				       r->action >= FAULT_DROP ? "a frame" : "an interrupt");
		r->when = FAULT_SECTORS;
		return 0;
	}
	return err_msg(-EINVAL, err, errlen, "--fault: %s: bad condition '@%.*s' (@pP, @nN or "
		       "@sA-B)", dev, (int)len, s);
}

/* One RULE: ACTION[=DUR][@WHEN], len bytes at s. */
static int parse_rule(const char *dev, const struct fault_kind *k, const char *s, size_t len,
		      struct fault_rule *r, char *err, size_t errlen)
{
	const char *at = memchr(s, '@', len), *eq;
	size_t head = at ? (size_t)(at - s) : len, name;
	unsigned i;

	memset(r, 0, sizeof(*r));
	eq = memchr(s, '=', head);
	name = eq ? (size_t)(eq - s) : head;
	for (i = 0; i < FAULT_NR_ACTIONS; i++)
		if (strlen(actions[i].name) == name && !strncmp(s, actions[i].name, name))
			break;
	if (i == FAULT_NR_ACTIONS || !(k->actions & (1u << i)))
		return err_msg(-EINVAL, err, errlen, "--fault: %s: unknown rule '%.*s' (%s)", dev,
			       (int)name, s, k->actions == NIC_ACTIONS ? NIC_LIST : DISK_LIST);
	r->action = (uint8_t)i;
	if (actions[i].has_arg && !eq)
		return err_msg(-EINVAL, err, errlen, "--fault: %s: %s needs a duration (%s=2ms)",
			       dev, actions[i].name, actions[i].name);
	if (!actions[i].has_arg && eq)
		return err_msg(-EINVAL, err, errlen, "--fault: %s: %s takes no value", dev,
			       actions[i].name);
	if (eq && parse_duration(eq + 1, head - name - 1, &r->arg))
		return err_msg(-EINVAL, err, errlen, "--fault: %s: bad duration '%.*s' (a whole "
			       "number of ns, us, ms or s; at most 10s)", dev,
			       (int)(head - name - 1), eq + 1);
	r->when = FAULT_ALWAYS;
	return at ? parse_when(dev, at + 1, len - head - 1, r, err, errlen) : 0;
}

/* "pvblk0" or "pvblk0/0": the kind, the name and the queue. */
static int parse_device(const char *s, size_t len, const struct fault_kind **kind,
			char name[FAULT_NAME_MAX], unsigned *queue, char *err, size_t errlen)
{
	const char *slash = memchr(s, '/', len), *p;
	size_t nlen = slash ? (size_t)(slash - s) : len;
	uint64_t idx, q = 0;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t pl = strlen(kinds[i].prefix);

		p = s + pl;
		/* name[] holds it: "pvnet" and 20 zeros is a number below 8, not a name */
		if (nlen > pl && nlen < FAULT_NAME_MAX && !strncmp(s, kinds[i].prefix, pl) &&
		    !dec(&p, &idx) && p == s + nlen && idx < HV_MAX_DEVS_PER_KIND)
			break;
	}
	if (i == ARRAY_SIZE(kinds))
		return err_msg(-EINVAL, err, errlen, "--fault: unknown device '%.*s' (pvblkN, "
			       "trapblkN, pvnetN or trapnetN; N below %d)", (int)nlen, s,
			       HV_MAX_DEVS_PER_KIND);
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	p = slash ? slash + 1 : s + len; /* no pointer arithmetic on a NULL slash */
	if (slash && (dec(&p, &q) || p != s + len || q >= kinds[i].queues))
		return err_msg(-EINVAL, err, errlen, "--fault: %s: bad queue '%.*s' (%s)", name,
			       (int)(len - nlen - 1), slash + 1,
			       kinds[i].queues > 1 ? "0 or 1" : "it has one, 0");
	*kind = &kinds[i];
	*queue = (unsigned)q;
	return 0;
}

int fault_parse(struct fault_plan *p, const char *arg, char *err, size_t errlen)
{
	const char *colon = strchr(arg, ':'), *s;
	struct fault_rule rules[FAULT_MAX_RULES];
	const struct fault_kind *k = NULL;
	char name[FAULT_NAME_MAX];
	struct fault_dev *d = NULL;
	unsigned queue = 0, n = 0, i;
	int rc;

	if (!colon)
		return err_msg(-EINVAL, err, errlen, "--fault: '%s' is not DEVICE:RULE[,RULE...] "
			       "(e.g. pvblk0:read-error@p0.01)", arg);
	rc = parse_device(arg, (size_t)(colon - arg), &k, name, &queue, err, errlen);
	if (rc)
		return rc;
	for (s = colon + 1;; s++) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (!len)
			return err_msg(-EINVAL, err, errlen, "--fault: %s: an empty rule", name);
		if (n == FAULT_MAX_RULES)
			return err_msg(-EINVAL, err, errlen, "--fault: %s: at most %d rules a queue",
				       name, FAULT_MAX_RULES);
		rc = parse_rule(name, k, s, len, &rules[n++], err, errlen);
		if (rc)
			return rc;
		if (!comma)
			break;
		s = comma;
	}
	/* The same device queue again adds to its rules. */
	for (i = 0; i < p->nr; i++)
		if (!strcmp(p->dev[i].name, name) && p->dev[i].queue == queue)
			d = &p->dev[i];
	if (!d && p->nr == FAULT_MAX_DEVS)
		return err_msg(-EINVAL, err, errlen, "--fault: at most %d device queues",
			       FAULT_MAX_DEVS);
	if (d && d->nr + n > FAULT_MAX_RULES)
		return err_msg(-EINVAL, err, errlen, "--fault: %s: at most %d rules a queue", name,
			       FAULT_MAX_RULES);
	if (!d) {
		d = &p->dev[p->nr++];
		memset(d, 0, sizeof(*d));
		strcpy(d->name, name);
		d->queue = queue;
	}
	memcpy(&d->rule[d->nr], rules, n * sizeof(rules[0]));
	d->nr += n;
	return 0;
}

int fault_parse_seed(struct fault_plan *p, const char *arg, char *err, size_t errlen)
{
	const char *s = arg;
	unsigned __int128 v = 0;

	for (; *s >= '0' && *s <= '9' && v <= UINT64_MAX; s++)
		v = v * 10 + (unsigned)(*s - '0');
	if (s == arg || *s || v > UINT64_MAX)
		return err_msg(-EINVAL, err, errlen, "--fault-seed: '%s' is not a decimal number "
			       "below 2^64", arg);
	p->seed = (uint64_t)v;
	p->seed_given = true;
	return 0;
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t fault_draw(uint64_t seed, uint64_t dev_id, uint64_t reqno, unsigned rule)
{
	return mix(mix(mix(seed ^ dev_id) ^ reqno) ^ rule);
}

/* FNV-1a of the name, then the queue: a device's identity in every draw. */
static uint64_t dev_id(const char *name, unsigned queue)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
	return mix(h ^ queue);
}

struct fault_plan *fault_begin(struct fault_plan *p, FILE *log)
{
	if ((!p->nr && !p->any) || pthread_mutex_init(&p->lock, NULL))
		return NULL;
	/* Without getrandom (never on Linux >= 3.17) the clock still varies the seed. */
	if (!p->seed_given && getrandom(&p->seed, sizeof(p->seed), 0) != sizeof(p->seed))
		p->seed = mix(mono_ns());
	if (p->nr)
		fprintf(log, "hv: fault injection on, seed %llu (--fault-seed %llu replays this "
			"run)\n", (unsigned long long)p->seed, (unsigned long long)p->seed);
	return p;
}

struct fault_dev *fault_claim(struct fault_plan *p, const char *kind, unsigned index,
			      unsigned queue)
{
	char name[FAULT_NAME_MAX];
	unsigned i, q;

	if (!p)
		return NULL;
	snprintf(name, sizeof(name), "%s%u", kind, index);
	for (i = 0; i < p->nr; i++)
		if (!strcmp(p->dev[i].name, name) && p->dev[i].queue == queue)
			break;
	if (i == p->nr && p->any && p->nr < FAULT_MAX_DEVS) { /* no rules yet: an empty entry */
		memset(&p->dev[i], 0, sizeof(p->dev[i]));
		strcpy(p->dev[i].name, name);
		p->dev[i].queue = queue;
		p->nr++;
	}
	if (i == p->nr)
		return NULL;
	p->dev[i].claimed = true;
	p->dev[i].plan = p;
	p->dev[i].seed = p->seed;
	p->dev[i].id = dev_id(name, queue);
	for (q = 0; q < FAULT_MAX_QUEUES; q++)
		p->dev[i].irq_id[q] = dev_id(name, q);
	return &p->dev[i];
}

int fault_check_claimed(const struct fault_plan *p, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < p->nr; i++)
		if (!p->dev[i].claimed)
			return err_msg(-ENODEV, err, errlen, "--fault: this VM has no %s (give it "
				       "a device option)", p->dev[i].name);
	return 0;
}

/* Whether rule i applies to request reqno of queue id over [sector, sector + count). */
static bool applies(const struct fault_dev *f, unsigned i, uint64_t id, uint64_t reqno,
		    uint64_t sector, uint64_t count)
{
	const struct fault_rule *r = &f->rule[i];

	switch (r->when) {
	case FAULT_PROB:
		return fault_draw(f->seed, id, reqno, i) < r->a;
	case FAULT_NTH:
		return reqno == r->a;
	case FAULT_SECTORS:
		return count && sector <= r->b && sector + count - 1 >= r->a;
	default:
		return true;
	}
}

/* The actions each kind of disk request can meet. */
static const uint32_t io_actions[] = {
	[FAULT_IO_READ] = BIT(FAULT_READ_ERROR) | BIT(FAULT_DELAY) | BIT(FAULT_WRONG_LEN),
	[FAULT_IO_WRITE] = BIT(FAULT_WRITE_ERROR) | BIT(FAULT_DELAY) | BIT(FAULT_TORN_WRITE) |
			   BIT(FAULT_WRONG_LEN),
	[FAULT_IO_FLUSH] = BIT(FAULT_FLUSH_ERROR) | BIT(FAULT_DELAY) | BIT(FAULT_WRONG_LEN),
};

/* I/O thread: takes the rules the API handed over, if any (one atomic load). */
static void take_next(struct fault_dev *f)
{
	if (!__atomic_load_n(&f->next_ready, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&f->plan->lock);
	memcpy(f->rule, f->next, f->next_nr * sizeof(f->rule[0]));
	__atomic_store_n(&f->nr, f->next_nr, __ATOMIC_RELAXED);
	__atomic_store_n(&f->next_ready, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&f->plan->lock);
}

/* The next number of a counter other threads read (GET /faults). */
static uint64_t bump(uint64_t *c)
{
	return __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/*
 * The one decision loop: the next number of *counter (requests, interrupts
 * or frames) of the queue whose identity is id, and the rules among those
 * of mask (a bit an action) that apply to it, a bit a rule (counted as
 * fired).  *n gets the number.
 */
static uint32_t decide(struct fault_dev *f, uint64_t *counter, uint64_t id, uint32_t mask,
		       uint64_t sector, uint64_t count, uint64_t *n)
{
	uint32_t hit = 0;
	unsigned i;

	take_next(f);
	*n = bump(counter);
	for (i = 0; i < f->nr; i++)
		if ((mask & BIT(f->rule[i].action)) && applies(f, i, id, *n, sector, count)) {
			hit |= BIT(i);
			bump(&f->fired[f->rule[i].action]);
		}
	return hit;
}

/* The next rule of hit (its bit cleared, its index in *i), or NULL. */
static const struct fault_rule *next_rule(const struct fault_dev *f, uint32_t *hit, unsigned *i)
{
	if (!*hit)
		return NULL;
	*i = (unsigned)__builtin_ctz(*hit);
	*hit &= *hit - 1;
	return &f->rule[*i];
}

bool fault_disk(struct fault_dev *f, enum fault_io io, uint64_t sector, uint64_t count,
		struct fault_verdict *v)
{
	uint64_t n;
	uint32_t hit = decide(f, &f->seq, f->id, io_actions[io], sector, count, &n);
	bool any = hit != 0;
	const struct fault_rule *r;
	unsigned i;

	memset(v, 0, sizeof(*v));
	while ((r = next_rule(f, &hit, &i))) {
		if (r->action == FAULT_DELAY)
			v->delay_ns += r->arg;
		else if (r->action == FAULT_TORN_WRITE)
			v->torn = true;
		else if (r->action == FAULT_WRONG_LEN)
			v->wrong_len = true;
		else
			v->error = true;
	}
	return any;
}

bool fault_irq_decide(struct fault_dev *f, unsigned queue, struct fault_irq_verdict *v)
{
	uint64_t n;
	uint32_t hit;
	bool any;
	const struct fault_rule *r;
	unsigned i;

	memset(v, 0, sizeof(*v));
	if (queue >= FAULT_MAX_QUEUES) /* never: no device has more */
		return false;
	bump(&f->irq_seq);
	hit = decide(f, &f->irq_qseq[queue], f->irq_id[queue], IRQ_ACTIONS, 0, 0, &n);
	any = hit != 0;
	while ((r = next_rule(f, &hit, &i))) {
		if (r->action == FAULT_IRQ_LOST)
			v->lost = true;
		else if (r->action == FAULT_IRQ_DUP)
			v->dup = true;
		else
			v->late_ns += r->arg;
	}
	return any;
}

bool fault_frame(struct fault_dev *f, bool rx, struct fault_frame_verdict *v)
{
	uint64_t n;
	uint32_t hit = rx ? decide(f, &f->rx_seq, f->id, RX_ACTIONS, 0, 0, &n)
			  : decide(f, &f->seq, f->id, TX_ACTIONS, 0, 0, &n);
	bool any = hit != 0;
	const struct fault_rule *r;
	unsigned i;

	memset(v, 0, sizeof(*v));
	while ((r = next_rule(f, &hit, &i))) {
		/* An rx- rule does to a received frame what its send rule does to a sent one. */
		unsigned a = r->action >= FAULT_RX_DROP ? r->action - FAULT_RX_DROP + FAULT_DROP
							: r->action;

		if (a == FAULT_DROP) {
			v->drop = true;
		} else if (a == FAULT_DUP) {
			v->dup = true;
		} else if (a == FAULT_REORDER) {
			v->reorder = true;
		} else if (a == FAULT_CORRUPT) {
			v->corrupt = true;
			v->draw = fault_draw(f->seed, f->id, n, FAULT_MAX_RULES + i);
		} else {
			v->flap_ns = r->arg;
		}
	}
	return any;
}

int fault_set_rules(struct fault_plan *p, const char *name, const char *rules, char *err,
		    size_t errlen)
{
	struct fault_plan tmp;
	struct fault_dev *d = NULL;
	char arg[FAULT_NAME_MAX + 1024];
	unsigned i;
	int rc;

	for (i = 0; p && i < p->nr; i++)
		if (p->dev[i].claimed && !strcmp(p->dev[i].name, name))
			d = &p->dev[i];
	if (!d)
		return err_msg(-ENODEV, err, errlen, "%s takes no rules: this VM has no such device, "
			       "or it has more than %d with rules", name, FAULT_MAX_DEVS);
	memset(&tmp, 0, sizeof(tmp));
	if (*rules) {
		if ((size_t)snprintf(arg, sizeof(arg), "%s:%s", name, rules) >= sizeof(arg))
			return err_msg(-EINVAL, err, errlen, "--fault: %s: the rules are too long", name);
		rc = fault_parse(&tmp, arg, err, errlen);
		if (rc)
			return rc;
	}
	pthread_mutex_lock(&p->lock);
	memcpy(d->next, tmp.dev[0].rule, sizeof(d->next));
	d->next_nr = tmp.dev[0].nr;
	__atomic_store_n(&d->next_ready, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void fault_rule_text(const struct fault_rule *r, char *buf, size_t len)
{
	static const struct { uint64_t ns; const char *unit; } units[] = {
		{ 1000000000, "s" }, { 1000000, "ms" }, { 1000, "us" }, { 1, "ns" },
	};
	size_t n = (size_t)snprintf(buf, len, "%s", actions[r->action].name);
	unsigned i;

	for (i = 0; actions[r->action].has_arg && i < ARRAY_SIZE(units); i++)
		if (r->arg % units[i].ns == 0) {
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "=%llu%s",
					      (unsigned long long)(r->arg / units[i].ns), units[i].unit);
			break;
		}
	if (n >= len)
		return;
	if (r->when == FAULT_PROB)
		snprintf(buf + n, len - n, "@p%.9g", (double)r->a / 18446744073709551616.0);
	else if (r->when == FAULT_NTH)
		snprintf(buf + n, len - n, "@n%llu", (unsigned long long)r->a);
	else if (r->when == FAULT_SECTORS)
		snprintf(buf + n, len - n, "@s%llu-%llu", (unsigned long long)r->a,
			 (unsigned long long)r->b);
}

uint32_t fault_wrong_len(uint32_t bytes)
{
	return bytes >= 2 * 512 ? bytes - 512 : bytes + 512;
}

uint32_t fault_torn_len(uint32_t bytes)
{
	return bytes / 1024 * 512;
}
