/* schema: the one table of TwiML voice verbs, nouns and attributes that lint, render and the
 * emulator read. */
#ifndef HANDOFF_TWIML_SCHEMA_H
#define HANDOFF_TWIML_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#define TWIML_SIP_URI_MAX 254 /* a <Sip> URI must be shorter than 255 characters (D-SIP) */

/* The type of an attribute value (or of an element's text). */
enum twiml_type {
	TWIML_T_STRING,   /* any text; max = longest length (0 = no limit) */
	TWIML_T_TOKEN,    /* no white space or control characters; max as above */
	TWIML_T_URL,      /* relative or absolute http(s) URL */
	TWIML_T_WSURL,    /* absolute ws:// or wss:// URL (media streams) */
	TWIML_T_METHOD,   /* GET or POST */
	TWIML_T_BOOL,     /* true or false */
	TWIML_T_INT,      /* decimal integer in [min, max] */
	TWIML_T_ENUM,     /* one of values (space-separated list) */
	TWIML_T_ENUMLIST, /* one or more of values, separated by spaces */
	TWIML_T_PHONE,    /* E.164 (+ and up to 15 digits) or a plain national number */
	TWIML_T_SIPURI,   /* sip: or sips: URI */
	TWIML_T_DIGITS,   /* DTMF: 0-9 A-D w W # * */
	TWIML_T_SID,      /* two letters (values = the prefix) and 32 hex digits */
};

/* One attribute, or an element's text (name "#text"). */
struct twiml_attr_schema {
	const char *name;
	enum twiml_type type;
	const char *values; /* ENUM/ENUMLIST: space-separated allowed values; SID: prefix */
	long min, max;      /* INT: range; STRING/TOKEN/URL/SIPURI: max length (0 = none) */
	const char *def;    /* default value as Twilio documents it, or NULL */
	int code;           /* the Twilio code reported for a bad value */
};

/* One element. Lists of names are space-separated; "" = none. */
struct twiml_elem_schema {
	const char *name;
	const char *parents; /* where it may appear ("Response" for a verb) */
	const char *kids;    /* element children it may hold */
	int kid_code; /* code for a child that is not allowed here (12200 unless Twilio has one) */
	const struct twiml_attr_schema *text;  /* what its text may be; NULL = no text */
	bool mixed;                            /* text and children may be mixed (SSML) */
	const struct twiml_attr_schema *attrs; /* in canonical (render) order */
	size_t nattrs;
};

/* Levels of findings: an error stops Twilio; a warning is logged and skipped. */
enum twiml_level { TWIML_WARNING, TWIML_ERROR };

/* One Twilio code the linter may report. */
struct twiml_code {
	int code;
	enum twiml_level level;
	const char *what;
};

/* The element schema by exact (case-sensitive) name, or NULL. Never freed. */
const struct twiml_elem_schema *twiml_schema_find(const char *name);
/* Same, ignoring ASCII case (for "did you mean" hints), or NULL. */
const struct twiml_elem_schema *twiml_schema_find_nocase(const char *name);
/* The attribute schema of e by exact name, or NULL (e may be NULL). */
const struct twiml_attr_schema *twiml_schema_attr(const struct twiml_elem_schema *e,
                                                  const char *name);
/* Index of the attribute in e's canonical order, or e->nattrs when unknown. */
size_t twiml_schema_attr_index(const struct twiml_elem_schema *e, const char *name);
/* Whether word is one of the space-separated words of list. */
bool twiml_schema_in_list(const char *list, const char *word, size_t wlen);
/* The whole table, for tools and tests: *n gets the count. */
const struct twiml_elem_schema *twiml_schema_all(size_t *n);
/* The code table entry for code, or NULL. */
const struct twiml_code *twiml_code_find(int code);

#endif
