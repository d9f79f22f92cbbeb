/*
 * bounce_mark.h - the phrases the bounce families are recognised by, found
 * in one pass over a notification (see bounce_mark.c).
 *
 * Every family's "cheap marker check" reads the first offset of its
 * phrases from this table instead of searching the text itself, so adding
 * a family adds a phrase to one Hyperscan database rather than one more
 * pass over every message. Phrases are caseless literals.
 */
#ifndef SX_BOUNCE_MARK_H
#define SX_BOUNCE_MARK_H

#include <stddef.h>
#include <stdint.h>

#include "smtpdx.h"

/* id, phrase. The MK_COPY_* group marks where a pasted copy of the
 * returned message starts (bounce_mail.c, copy_start): the readers stop
 * there. A signature separator ("-- " or "--" alone on a line) counts as
 * one: what a gateway or a list service appends below it (a virus-scan
 * note, an unsubscribe link) is no part of the notice. */
#define SX_BMARK_LIST(X)                                                     \
    X(MK_PF_SYSTEM, "this is the mail system at host")                      \
    X(MK_PF_PROGRAM, "this is the postfix program at host")                 \
    X(MK_EX_CREATED, "this message was created automatically by mail "      \
                     "delivery software")                                   \
    X(MK_EX_NOTDELIV, "a message that you sent could not be delivered")     \
    X(MK_EX_NOTYET, "a message that you sent has not yet been delivered")   \
    X(MK_EX_CONTAINED, "a message that you sent contained one or more "     \
                       "recipient")                                         \
    X(MK_QM_SEND, "qmail-send program")                                     \
    X(MK_QM_AFRAID, "i wasn't able to deliver your message")                \
    X(MK_SM_TRANSCRIPT, "----- transcript of session follows -----")        \
    X(MK_SM_RECEIVED, "the original message was received at")               \
    X(MK_SM_FATAL, "----- the following addresses had permanent fatal "     \
                   "errors -----")                                          \
    X(MK_GM_FOLLOWING, "delivery to the following recipient")               \
    X(MK_GM_TECH, "technical details of")                                   \
    X(MK_GM_NOTDELIV, "** message not delivered **")                        \
    X(MK_GM_NOTFOUND, "** address not found **")                            \
    X(MK_GM_BLOCKED, "** message blocked **")                               \
    X(MK_GM_RESPONSE, "the response was:")                                  \
    X(MK_GROUPS, "groups.google.com")                                       \
    X(MK_AH_QUOTE, "\n>>> ")                                                \
    X(MK_MF_REASON, "delivery failed for the following reason:")            \
    X(MK_MFILTER, "-------server message")                                  \
    X(MK_SC_TRANSCRIPT, "a transcript of the attempts to send the message " \
                        "follows")                                          \
    X(MK_X1, "---the following addresses had delivery errors---")           \
    X(MK_X2, "unable to deliver message to the following address(es)")      \
    X(MK_JAMES_ERR, "error message below:")                                 \
    X(MK_JAMES_RCPT, "rcpt to:")                                            \
    X(MK_ISM, "message from interscan messaging")                           \
    X(MK_MM, "the following recipients were affected")                      \
    X(MK_VZ, "message could not be delivered to mobile")                    \
    X(MK_FML_MEMBER, "you are not a member of this mailing list")           \
    X(MK_FML_DUP, "duplicated message-id")                                  \
    X(MK_ZOHO, "error_code :")                                              \
    X(MK_TX_OUT, ">>> ")                                                    \
    X(MK_TX_IN, "<<< ")                                                     \
    X(MK_TX_LOG, "<-- ")                                                    \
    X(MK_TX_REPLIED, "remote server replied:")                              \
    /* a notice passed on by a person (bounce.c, inner_bounce) */            \
    X(MK_FWD_1, "forwarded message")                                        \
    X(MK_FWD_2, "original message")                                         \
    X(MK_FWD_3, "weitergeleitete nachricht")                                \
    X(MK_FWD_4, "message transf")                                           \
    X(MK_FWD_5, "mensaje reenviado")                                        \
    /* a filter naming the header rule the message broke (bounce_judge.c) */ \
    X(MK_HF_1, "duplicate header field")                                    \
    X(MK_HF_2, "missing required header field")                             \
    X(MK_HF_3, "improper use of control character")                         \
    X(MK_HF_4, "non-encoded 8-bit data")                                    \
    X(MK_HF_5, "improper folded header field")                              \
    X(MK_HF_6, "header line longer than")                                   \
    /* a delay warning's words (bounce_generic.c, delay_notice) */          \
    X(MK_DL_1, "has been delayed")                                          \
    X(MK_DL_2, "have been delayed")                                         \
    X(MK_DL_3, "not yet been delivered")                                    \
    X(MK_DL_4, "will be retried")                                           \
    X(MK_DL_5, "will retry")                                                \
    X(MK_DL_6, "will continue trying")                                      \
    X(MK_DL_7, "will keep trying")                                          \
    X(MK_DL_8, "delivery attempts will continue")                           \
    X(MK_DL_9, "will continue to try")                                      \
    X(MK_DL_10, "has been postponed")                                       \
    /* who wrote a notice the standard readers took (bounce_agent.c) */    \
    X(MK_AG_DMA, "dragonfly mail agent")                                    \
    X(MK_AG_AMAVIS, "the program amavisd-new")                              \
    X(MK_AG_YAHOO, "sorry, we were unable to deliver your message")         \
    X(MK_AG_EXCHANGE, "microsoft exchange server")                          \
    X(MK_AG_GENSRV, "generating server:")                                   \
    X(MK_AG_BARRA1, "by our spam firewall")                                 \
    X(MK_AG_BARRA2, "by our spam & virus firewall")                         \
    X(MK_AG_SENDGRID, "automatically generated message from sendgrid")      \
    X(MK_COPY_1, "below this line is a copy of the message")                \
    X(MK_COPY_2, "this is a copy of the message")                           \
    X(MK_COPY_3, "this is a copy of your message")                          \
    X(MK_COPY_4, "enclosed is a copy of the message")                       \
    X(MK_COPY_5, "original message follows")                                \
    X(MK_COPY_6, "original message -----")                                  \
    X(MK_COPY_7, "----- original message")                                  \
    X(MK_COPY_8, "message headers follow")                                  \
    X(MK_COPY_9, "headers of the original message")                         \
    X(MK_COPY_10, "original message header")                                \
    X(MK_COPY_11, "returned message follows")                               \
    X(MK_COPY_12, "unsent message below")                                   \
    X(MK_COPY_13, "rfc822 headers")                                         \
    X(MK_COPY_14, "text of the original message")                           \
    X(MK_COPY_15, "your message reads")                                     \
    X(MK_COPY_16, "a copy of the original message")                         \
    X(MK_COPY_17, "included is a copy")                                     \
    X(MK_COPY_18, "copy of the original message")                           \
    X(MK_COPY_19, "the header of the original message")                     \
    X(MK_COPY_20, "returned message --")                                    \
    X(MK_COPY_21, "unsent message follows")                                 \
    X(MK_COPY_22, "start of returned message")                              \
    X(MK_COPY_23, "returned mail follows")                                  \
    X(MK_COPY_24, "original message as received")                           \
    X(MK_COPY_25, "copy of the first part of the message")                  \
    X(MK_COPY_26, "原信件的一份拷贝") /* "a copy of the original letter" */    \
    X(MK_COPY_SIG1, "\n-- \n")                                             \
    X(MK_COPY_SIG2, "\n--\n")

#define SX_BMARK_ENUM(id, phrase) id,
enum sx_bmark_id { SX_BMARK_LIST(SX_BMARK_ENUM) SX_BMARK_COUNT };
#undef SX_BMARK_ENUM

#define SX_BMARK_FIRST_COPY MK_COPY_1
#define SX_BMARK_NONE UINT32_MAX

/* Where each phrase was first found in one text: the offset of its first
 * byte, SX_BMARK_NONE when absent. */
typedef struct sx_bmarks {
    uint32_t at[SX_BMARK_COUNT];
} sx_bmarks;

/* The first place any of the phrases first..last (ids) starts in the text
 * the marks were found in, SX_BMARK_NONE when none is there. */
uint32_t sx_bmarks_first(const sx_bmarks *mk, int first, int last);
/* Does any of the phrases first..last stand whole in the text's first end
 * bytes? (Its first place tells: a later one ends later.) */
int sx_bmarks_within(const sx_bmarks *mk, int first, int last, size_t end);
/* The first place phrase id stands whole in text[from, from + n), where
 * text is the one the marks were found in, or NULL: read from the marks
 * when its first place is at or after from, searched for (caselessly)
 * only when that place lies before from. */
const char *sx_bmarks_find(const sx_bmarks *mk, int id, const char *text,
                           size_t from, size_t n);

/* Find every phrase in text[0..len) (len is cut at 4 GiB). Uses the
 * per-thread scratch kept in ctx. */
smtpdx_status sx_bmarks_scan(smtpdx_ctx *ctx, const char *text, size_t len,
                             sx_bmarks *out);

/* The SMTP command a text names (sx_bt_command's phrases in one scan);
 * NULL when none. */
const char *sx_bmark_command(smtpdx_ctx *ctx, const char *s, size_t n);

/* The phrase of an id (for the slow path over arbitrary spans). */
const char *sx_bmark_phrase(int id);

#endif
