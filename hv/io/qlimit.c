/* Rate limit settings and their handover to the I/O thread (qlimit.h). */
#include "io/qlimit.h"

#include <errno.h>
#include <string.h>

#include "core/util.h"

int rate_set_check(const struct rate_set *r)
{
	if (r->bytes_per_s > TBUCKET_RATE_MAX || r->ops_per_s > TBUCKET_RATE_MAX ||
	    r->bytes_burst > TBUCKET_BURST_MAX || r->ops_burst > TBUCKET_BURST_MAX ||
	    (r->bytes_burst && !r->bytes_per_s) || (r->ops_burst && !r->ops_per_s))
		return -EINVAL;
	return 0;
}

int rate_set_parse(const char *opt, const char *prefix, const char *ops_word, const char *kv,
		   size_t n, struct rate_set *r, char *err, size_t errlen)
{
	char key[32], val[32];
	const char *eq = memchr(kv, '=', n);
	size_t plen = strlen(prefix), klen;
	uint64_t v, *dst;

	if (!eq || (size_t)(eq - kv) < plen || strncmp(kv, prefix, plen))
		return 1;
	klen = (size_t)(eq - kv) - plen;
	if (klen >= sizeof(key))
		return 1;
	memcpy(key, kv + plen, klen);
	key[klen] = '\0';
	if (!strcmp(key, "bps"))
		dst = &r->bytes_per_s;
	else if (!strcmp(key, "bps-burst"))
		dst = &r->bytes_burst;
	else if (!strncmp(key, ops_word, strlen(ops_word)) && !key[strlen(ops_word)])
		dst = &r->ops_per_s;
	else if (!strncmp(key, ops_word, strlen(ops_word)) &&
		 !strcmp(key + strlen(ops_word), "-burst"))
		dst = &r->ops_burst;
	else
		return 1;
	n -= (size_t)(eq + 1 - kv);
	if (n == 0 || n >= sizeof(val))
		return err_msg(-EINVAL, err, errlen, "%s: '%.*s' needs a number (K/M/G suffixes)",
			       opt, (int)(eq - kv), kv);
	memcpy(val, eq + 1, n);
	val[n] = '\0';
	if (parse_size(val, &v) || v > (dst == &r->bytes_per_s || dst == &r->ops_per_s ?
					TBUCKET_RATE_MAX : TBUCKET_BURST_MAX))
		return err_msg(-EINVAL, err, errlen,
			       "%s: '%.*s' is not a number of at most %llu (K/M/G suffixes)", opt,
			       (int)(eq - kv), kv,
			       (unsigned long long)(dst == &r->bytes_per_s || dst == &r->ops_per_s ?
						    TBUCKET_RATE_MAX : TBUCKET_BURST_MAX));
	*dst = v;
	return 0;
}

int rate_set_check_opt(const char *opt, const char *prefix, const char *ops_word,
		       const struct rate_set *r, char *err, size_t errlen)
{
	if (r->bytes_burst && !r->bytes_per_s)
		return err_msg(-EINVAL, err, errlen, "%s: %sbps-burst= needs %sbps=", opt, prefix,
			       prefix);
	if (r->ops_burst && !r->ops_per_s)
		return err_msg(-EINVAL, err, errlen, "%s: %s%s-burst= needs %s%s=", opt, prefix,
			       ops_word, prefix, ops_word);
	return 0;
}

int qlimit_init(struct qlimit *l)
{
	memset(l, 0, sizeof(*l));
	return -pthread_mutex_init(&l->mu, NULL);
}

void qlimit_destroy(struct qlimit *l)
{
	pthread_mutex_destroy(&l->mu);
}

int qlimit_set(struct qlimit *l, const struct rate_set *r)
{
	if (rate_set_check(r))
		return -EINVAL;
	pthread_mutex_lock(&l->mu);
	l->next = *r;
	__atomic_store_n(&l->pending, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&l->mu);
	return 0;
}

void qlimit_get(struct qlimit *l, struct rate_set *out)
{
	pthread_mutex_lock(&l->mu);
	*out = l->next;
	pthread_mutex_unlock(&l->mu);
}

struct tlimit *qlimit_apply(struct qlimit *l, uint64_t now_ns)
{
	struct rate_set r;

	pthread_mutex_lock(&l->mu);
	__atomic_store_n(&l->pending, 0, __ATOMIC_RELAXED);
	r = l->next;
	pthread_mutex_unlock(&l->mu);
	/* Checked by qlimit_set: these cannot fail. */
	tbucket_set(&l->lim.bytes, r.bytes_per_s, r.bytes_burst, now_ns);
	tbucket_set(&l->lim.ops, r.ops_per_s, r.ops_burst, now_ns);
	return tlimit_on(&l->lim) ? &l->lim : NULL;
}
