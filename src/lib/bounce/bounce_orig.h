/*
 * bounce_orig.h - the header of the message a bounce returns (see
 * bounce_orig.c). Values are decoded to UTF-8 (RFC 2047) and "" when
 * absent.
 */
#ifndef SX_BOUNCE_ORIG_H
#define SX_BOUNCE_ORIG_H

#include "bounce/bounce.h"

enum {
    SX_BORIG_FROM = 0,
    SX_BORIG_TO,
    SX_BORIG_SUBJECT,
    SX_BORIG_MSGID,
    SX_BORIG_DATE,
    SX_BORIG_LISTID,
    SX_BORIG_RETURNPATH,
    SX_BORIG_NFIELDS
};

typedef struct sx_borig {
    sx_sbuf all;                   /* the values, each NUL-terminated */
    sx_sbuf tmp;                   /* one value while it is decoded */
    size_t off[SX_BORIG_NFIELDS];  /* where each starts in all */
    size_t len[SX_BORIG_NFIELDS];  /* its length, 0 when absent */
    int cut;                       /* a value was cut at its limit */
    unsigned received;             /* its Received fields: the hops */
} sx_borig;

void sx_borig_init(sx_borig *o);
void sx_borig_release(sx_borig *o);
/* Empty o for the next message (its storage kept). */
void sx_borig_clear(sx_borig *o);
const char *sx_borig_get(const sx_borig *o, int which);

/* Fill o from the returned message: its MIME part when there is one, else
 * copy[0..copy_len) when a detector found where the copy starts, else the
 * first run of header fields in the notification text. */
smtpdx_status sx_borig_read(sx_bmail *m, const char *copy, size_t copy_len,
                            sx_borig *o);

/* For notices that never name whom they failed to reach: when the
 * returned message's To holds exactly one address, add it to res as a
 * recipient and set *added to its record (NULL when none was added). */
smtpdx_status sx_borig_sole_recipient(sx_bmail *m, sx_bres *res,
                                      sx_brcpt **added);

/* Where a pasted header block starts in text (two known header fields in a
 * row); NULL if none. *rest = bytes from there to the end. */
const char *sx_borig_find(const char *text, size_t len, size_t *rest);

#endif
