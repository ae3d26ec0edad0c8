/* emu_parties: what the emulator's outside parties do when they are called (POST
 * /emulator/parties): a small locked table the control endpoints consult for the called
 * party of a Calls.json call and for every address a call dials. */
#ifndef HANDOFF_EMU_PARTIES_H
#define HANDOFF_EMU_PARTIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "emulator/engine.h"

#define EMU_PARTIES_MAX     32 /* parties set at once (EMU_ENG_MAX_OUTCOMES: a call takes them all) */
#define EMU_PARTY_MAX_ADDR  255   /* an address: +E164, client:..., sip:... */
#define EMU_PARTY_MAX_AFTER 60000 /* ms a party rings before it does what it does */

/* One party: who, what it does, after how long. */
struct emu_party {
	char address[EMU_PARTY_MAX_ADDR + 1];
	enum emu_outcome answer;
	unsigned after_ms;
};

struct emu_parties;

struct emu_parties *emu_parties_new(void);
void emu_parties_free(struct emu_parties *p);
/* Sets (or replaces) the party at address. 0; EINVAL (empty or too long address, after_ms
 * over EMU_PARTY_MAX_AFTER); E2BIG (table full). */
int emu_parties_set(struct emu_parties *p, const char *address, enum emu_outcome answer,
                    unsigned after_ms);
void emu_parties_clear(struct emu_parties *p);
/* The party for address (exactly, else the same URI without its ?headers); false when
 * none is set (the default: it answers at once). */
bool emu_parties_get(struct emu_parties *p, const char *address, struct emu_party *out);
/* Copies the table for a new call: out[i].address points into store[i]. Returns the
 * count (at most max). */
size_t emu_parties_outcomes(struct emu_parties *p, struct emu_dial_outcome *out,
                            char (*store)[EMU_PARTY_MAX_ADDR + 1], size_t max);
/* [{"address", "answer", "after_ms"}] (caller frees). */
json_t *emu_parties_json(struct emu_parties *p);

#endif
