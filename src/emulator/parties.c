/* emu_parties: the outside parties' behaviour table (POST /emulator/parties), behind one lock. */
#include "emulator/parties.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"

struct emu_parties {
	pthread_mutex_t mu;
	struct emu_party v[EMU_PARTIES_MAX];
	size_t n;
};

struct emu_parties *emu_parties_new(void)
{
	struct emu_parties *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	return p;
}

void emu_parties_free(struct emu_parties *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* With p->mu held: the index of address, or -1. */
static int find(const struct emu_parties *p, const char *address, size_t n)
{
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->v[i].address) == n && strncmp(p->v[i].address, address, n) == 0)
			return (int)i;
	return -1;
}

int emu_parties_set(struct emu_parties *p, const char *address, enum emu_outcome answer,
                    unsigned after_ms)
{
	size_t n = address ? strlen(address) : 0;
	if (!n || n > EMU_PARTY_MAX_ADDR || after_ms > EMU_PARTY_MAX_AFTER ||
	    (unsigned)answer > EMU_FAIL)
		return EINVAL;
	pthread_mutex_lock(&p->mu);
	int rc = 0, i = find(p, address, n);
	if (i < 0 && p->n >= EMU_PARTIES_MAX) {
		rc = E2BIG;
	} else {
		struct emu_party *e = &p->v[i < 0 ? p->n++ : (size_t)i];
		memcpy(e->address, address, n + 1);
		e->answer = answer;
		e->after_ms = after_ms;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void emu_parties_clear(struct emu_parties *p)
{
	pthread_mutex_lock(&p->mu);
	p->n = 0;
	pthread_mutex_unlock(&p->mu);
}

bool emu_parties_get(struct emu_parties *p, const char *address, struct emu_party *out)
{
	if (!address)
		return false;
	pthread_mutex_lock(&p->mu);
	int i = find(p, address, strlen(address));
	if (i < 0)
		i = find(p, address, strcspn(address, "?"));
	if (i >= 0)
		*out = p->v[i];
	pthread_mutex_unlock(&p->mu);
	return i >= 0;
}

size_t emu_parties_outcomes(struct emu_parties *p, struct emu_dial_outcome *out,
                            char (*store)[EMU_PARTY_MAX_ADDR + 1], size_t max)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->n < max ? p->n : max;
	for (size_t i = 0; i < n; i++) {
		memcpy(store[i], p->v[i].address, sizeof(store[i]));
		out[i].address = store[i];
		out[i].outcome = p->v[i].answer;
	}
	pthread_mutex_unlock(&p->mu);
	return n;
}

json_t *emu_parties_json(struct emu_parties *p)
{
	json_t *arr = json_array();
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i}", "address", p->v[i].address,
		                                     "answer", emu_outcome_name(p->v[i].answer),
		                                     "after_ms", (int)p->v[i].after_ms));
	pthread_mutex_unlock(&p->mu);
	return arr;
}
