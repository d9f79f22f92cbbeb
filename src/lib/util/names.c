/*
 * names.c - names and sentences for every public enum.
 *
 * One table per enum, indexed by its value, so that a new value without a
 * name is caught by the size checks below at compile time.
 */
#include <strings.h>

#include "smtpdx.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const status_names[] = {
    "SMTPDX_OK", "SMTPDX_ERR_NOMEM", "SMTPDX_ERR_INVAL", "SMTPDX_ERR_PARSE",
    "SMTPDX_ERR_LIMIT", "SMTPDX_ERR_IO", "SMTPDX_ERR_KB",
    "SMTPDX_ERR_NOTBOUNCE",
};
static const char *const status_text[] = {
    "success",
    "out of memory",
    "invalid argument",
    "nothing recognisable in the input",
    "the input crossed a size or count limit",
    "input/output error",
    "the knowledge base could not be prepared",
    "not a bounce, auto-reply or feedback report",
};
_Static_assert(COUNT(status_names) == SMTPDX_STATUS_COUNT, "status names");
_Static_assert(COUNT(status_text) == SMTPDX_STATUS_COUNT, "status text");

static const char *const reason_names[] = {
    "undefined", "userunknown", "hostunknown", "hasmoved", "notaccept",
    "mailboxfull", "suspend", "systemfull", "systemerror", "mailererror",
    "mesgtoobig", "exceedlimit", "norelaying", "blocked", "badreputation",
    "requireptr", "authfailure", "rejected", "policyviolation",
    "securityerror", "failedstarttls", "spamdetected", "virusdetected",
    "contenterror", "notcompliantrfc", "filtered", "speeding", "toomanyconn",
    "syntaxerror", "networkerror", "expired", "onhold", "suppressed",
    "vacation", "feedback", "delivered",
};
_Static_assert(COUNT(reason_names) == SMTPDX_REASON_COUNT, "reason names");

static const char *const who_names[] = {
    "nobody", "sender", "sender-admin", "recipient-admin", "recipient",
};
_Static_assert(COUNT(who_names) == SMTPDX_WHO_COUNT, "who names");

static const char *const confidence_names[] = {"low", "medium", "high"};
static const char *const retry_names[] = {
    "none", "retry", "do-not-retry", "fix-then-retry",
};
static const char *const match_names[] = {
    "none", "text", "enhanced", "code", "class", "returned", "report",
};

const char *smtpdx_status_name(smtpdx_status st)
{
    return (unsigned)st < COUNT(status_names) ? status_names[st] : "SMTPDX_?";
}

const char *smtpdx_strerror(smtpdx_status st)
{
    return (unsigned)st < COUNT(status_text) ? status_text[st] : "unknown status";
}

const char *smtpdx_reason_name(smtpdx_reason r)
{
    return (unsigned)r < COUNT(reason_names) ? reason_names[r] : "undefined";
}

smtpdx_reason smtpdx_reason_from_name(const char *name)
{
    if (name == NULL)
        return SMTPDX_REASON_COUNT;
    for (unsigned i = 0; i < COUNT(reason_names); i++)
        if (strcasecmp(name, reason_names[i]) == 0)
            return (smtpdx_reason)i;
    return SMTPDX_REASON_COUNT;
}

int smtpdx_reason_is_hard(smtpdx_reason r, int temporary)
{
    switch (r) {
    case SMTPDX_R_USERUNKNOWN:
    case SMTPDX_R_HOSTUNKNOWN:
    case SMTPDX_R_HASMOVED:
        return 1;
    case SMTPDX_R_NOTACCEPT:
        return !temporary;
    default:
        return 0;
    }
}

const char *smtpdx_who_name(smtpdx_who w)
{
    return (unsigned)w < COUNT(who_names) ? who_names[w] : "nobody";
}

const char *smtpdx_confidence_name(smtpdx_confidence c)
{
    return (unsigned)c < COUNT(confidence_names) ? confidence_names[c] : "low";
}

const char *smtpdx_retry_name(smtpdx_retry r)
{
    return (unsigned)r < COUNT(retry_names) ? retry_names[r] : "none";
}

const char *smtpdx_match_kind_name(smtpdx_match_kind k)
{
    return (unsigned)k < COUNT(match_names) ? match_names[k] : "none";
}
