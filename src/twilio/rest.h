/* twilio_rest: a small Twilio REST client (Basic auth, form bodies, JSON, retries, paging). */
#ifndef HANDOFF_TWILIO_REST_H
#define HANDOFF_TWILIO_REST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define TW_BASE_2010    "https://api.twilio.com"
#define TW_BASE_V1      "https://trunking.twilio.com"
#define TW_MAX_RETRIES  3      /* retries after the first attempt */
#define TW_BACKOFF_MS   500    /* first backoff; doubles per retry */
#define TW_MAX_WAIT_MS  20000  /* cap on any one wait, Retry-After included */
#define TW_MAX_PAGES    1000   /* pages followed by tw_list */
#define TW_MAX_ITEMS    100000 /* items collected by tw_list */
#define TW_MAX_RESPONSE (8 * 1024 * 1024)
#define TW_MAX_PARAMS   32

/* Which Twilio API a path belongs to (they live on different hosts). */
enum tw_api { TW_API_2010, TW_API_V1 };

/* The client settings; strings are borrowed for the client's lifetime. */
struct tw_client {
	const char *api_base;    /* NULL/"" = Twilio's hosts; else both APIs go here */
	const char *account_sid; /* AC... (in v2010 paths) */
	const char *user;        /* Basic auth user: AC... or SK... */
	const char *secret;      /* never logged */
	long connect_timeout_ms; /* 0 = 10 s */
	long timeout_ms;         /* 0 = 30 s */
	int max_retries;         /* -1 = TW_MAX_RETRIES */
	long backoff_ms;         /* 0 = TW_BACKOFF_MS */
	void (*on_retry)(void *ctx, int attempt, int status, long wait_ms); /* optional */
	void *ctx;
};

/* A PascalCase form parameter. */
struct tw_param {
	const char *name;
	const char *value;
};

/* What went wrong, for one line: "Twilio 21402: VoiceUrl ... (more_info)". */
struct tw_error {
	int status;   /* HTTP status, 0 when no answer */
	int code;     /* Twilio code (20404, ...) or the httpc 112xx code; 0 none */
	int attempts; /* requests made */
	char message[512];
	char more_info[256];
};

/* One request. path starts with "/" ("/2010-04-01/Accounts/AC.../...json",
 * "/v1/Trunks/TK..."), query included. params go in the form body for POST
 * and in the query for GET. On a 2xx answer with a JSON body, *out gets it
 * (caller json_decref's; NULL for 204). Retries 429 and 5xx (and connect
 * failures) with backoff and jitter, honouring Retry-After up to
 * TW_MAX_WAIT_MS. Returns 0; ENOENT for 404; EACCES for 401/403; EPROTO for
 * another HTTP error; ETIMEDOUT, ECONNREFUSED, ... for transport failures;
 * err always says why. */
int tw_request(const struct tw_client *c, enum tw_api api, const char *method, const char *path,
               const struct tw_param *params, size_t nparams, json_t **out, struct tw_error *err);

/* Every item of a list, following next_page_uri (v2010) or meta.next_page_url
 * (v1) up to TW_MAX_PAGES, only on the same host. key names the array
 * ("incoming_phone_numbers", "trunks"). *items is a new array the caller
 * json_decref's. */
int tw_list(const struct tw_client *c, enum tw_api api, const char *path, const char *key,
            json_t **items, struct tw_error *err);

/* Formats err as one line without a prefix: "Twilio 21402: <message> (<more_info>)"
 * or "<transport reason>". Writes into out. */
void tw_error_line(const struct tw_error *err, char *out, size_t outlen);

/* Whether Twilio's servers could reach url's host: returns 0 when it looks
 * public, else EADDRNOTAVAIL with why filled ("127.0.0.1 is a loopback
 * address", "localhost names this machine", "x.invalid does not resolve").
 * Names are resolved with getaddrinfo; every address must be public. */
int tw_url_unreachable(const char *url, char *why, size_t whylen);

/* Whether the client talks to Twilio itself (no api_base override). */
bool tw_is_real(const struct tw_client *c);

#endif
