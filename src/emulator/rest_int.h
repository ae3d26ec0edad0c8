/* rest_int: what the REST twin's files share (the twin, a request's context, forms, field
 * checks, answers, paging); not for other modules, which use rest.h. Handlers run with
 * the twin's lock taken where they say so. */
#ifndef HANDOFF_EMU_REST_INT_H
#define HANDOFF_EMU_REST_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "emulator/rest.h"
#include "util/buf.h"

/* An injected fault (POST /emulator/faults): the next requests answer it. */
struct fault {
	int status;      /* 0 = stall only */
	int retry_after; /* seconds, -1 none */
	long stall_ms;
	int remaining;
};

/* The twin: its credentials, hooks and resources. */
struct emu_rest {
	char *account_sid, *auth_token, *key_sid, *key_secret;
	struct emu_rest_hooks hooks;
	pthread_mutex_t lock; /* guards everything below */
	json_t *numbers;      /* arrays of objects, in creation order */
	json_t *calls;
	json_t *trunks;
	json_t *domains; /* SIP Domains */
	json_t *account; /* the one account, made once (its dates do not move) */
	struct fault fault;
};

/* A decoded form or query: name=value pairs, capped at EMU_REST_MAX_PARAMS. */
struct param {
	char *name, *value;
};

struct form {
	struct param p[EMU_REST_MAX_PARAMS];
	size_t n;
	bool too_many;
};

/* What a form field may be set to; the check answers Twilio's code. */
enum vkind { V_URL, V_METHOD, V_SID_AP, V_SID_TK, V_TEXT64, V_BOOL, V_ENUM };

struct field {
	const char *param; /* PascalCase */
	const char *key;   /* snake_case */
	enum vkind kind;
	int code; /* Twilio code on a bad value */
	const char *choices;
	bool null_when_empty;
};

/* PageSize and Page of a list request. */
struct page {
	long size, page;
};

/* One request being answered: the twin, the request, the answer, its forms, and the
 * segments the route pattern captured. */
struct ctx {
	struct emu_rest *r;
	const struct http_req *req;
	struct http_resp *resp;
	struct form q;    /* query parameters */
	struct form body; /* form body */
	const char *cap[2];
	char caps[2][64];
};

/* A resource handler: fills c->resp and returns its HTTP status. */
typedef int (*route_fn)(struct ctx *c);

/* ---- rest.c: shared helpers ---- */

/* Whether s is an absolute http(s) URL. */
bool rest_http_url(const char *s);
/* Whether every name and value of f is valid UTF-8. */
bool rest_form_utf8(const struct form *f);
/* The value of the first field called name, or NULL. */
const char *rest_form_get(const struct form *f, const char *name);
/* Answers status with j as the JSON body (j stays the caller's). */
void rest_send_json(struct http_resp *resp, int status, json_t *j);
/* Answers Twilio's error body {"code","message","more_info","status"}; returns status. */
int rest_send_error(struct http_resp *resp, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A copy of o without its private keys (those starting with '_'). */
json_t *rest_public_copy(const json_t *o);
/* The first object of arr whose key is val (borrowed), or NULL. */
json_t *rest_find_by(json_t *arr, const char *key, const char *val);
/* Checks the fields of f that tab knows; 0, or EINVAL once Twilio's error is answered. */
int rest_check_fields(struct emu_rest *r, const struct field *tab, size_t n, const struct form *f,
                      struct http_resp *resp);
/* Sets on o the fields of f that tab knows (checked first with rest_check_fields). */
void rest_apply_fields(json_t *o, const struct field *tab, size_t n, const struct form *f);
/* Reads PageSize and Page; 0, or EINVAL once the 400 is answered. */
int rest_read_paging(const struct form *q, struct page *pg, struct http_resp *resp);
/* The v2010 envelope around matching items of arr. Caller holds the lock. */
json_t *rest_list_2010(json_t *arr, const char *key, const char *base, const struct form *q,
                       const char *const *filters, const struct page *pg,
                       bool (*match)(const json_t *o, const struct form *q));
/* Appends &name=value to a URI, the value percent-encoded. */
void rest_add_query(struct buf *b, const char *name, const char *v);
/* Answers 20404 for the request's path; returns 0. */
int rest_not_found(struct ctx *c);

/* ---- the resources ---- */

/* A new number object (not stored) for phone, with Twilio's defaults. */
json_t *rest_number_new(struct emu_rest *r, const char *phone);
int rest_numbers_list(struct ctx *c);
int rest_numbers_create(struct ctx *c);
int rest_number_one(struct ctx *c);
/* The account object (not stored) with Twilio's fields. */
json_t *rest_account_new(struct emu_rest *r);
int rest_account_one(struct ctx *c);
int rest_accounts_list(struct ctx *c);
int rest_calls_list(struct ctx *c);
int rest_calls_create(struct ctx *c);
int rest_call_one(struct ctx *c);
/* Whether name is NAME.sip.twilio.com (letters, digits, '-', dots between labels). */
bool rest_domain_name_ok(const char *name);
int rest_domains_list(struct ctx *c);
int rest_domains_create(struct ctx *c);
int rest_domain_one(struct ctx *c);
int rest_trunks_list(struct ctx *c);
int rest_trunks_create(struct ctx *c);
int rest_trunk_one(struct ctx *c);

#endif
