/*
 * retry.h - the retry advice of an explanation once it is known whether
 * the failure is temporary: one rule for the classifier and for the
 * bounce judge's later readings.
 */
#ifndef SX_RETRY_H
#define SX_RETRY_H
#include "smtpdx.h"

/* An entry that follows the class ("temporary: class") and says not to
 * retry speaks of the permanent form; the temporary form of the same
 * words (450 4.2.1 "mailbox is locked", 450 4.1.1 during a directory
 * outage) is one the sending server is right to retry. */
static inline smtpdx_retry sx_retry_for(smtpdx_retry advice, int temporary)
{
    return temporary == 1 && advice == SMTPDX_RETRY_NO ? SMTPDX_RETRY_YES
                                                        : advice;
}

#endif
