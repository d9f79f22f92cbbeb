/*
 * mbox.h - the pieces of the mbox format (RFC 4155) that need care:
 * recognising a separator line and undoing ">From " quoting.
 *
 * A separator is a line starting "From " that either carries a time of
 * day (the envelope date, "Thu Sep 18 17:54:04 2008") or is followed by a
 * header field: a body line that merely starts with "From " rarely has
 * either. No blank line is required before it, since some writers omit it.
 */
#ifndef SX_INPUT_MBOX_H
#define SX_INPUT_MBOX_H

#include <stddef.h>

enum { SX_MBOX_NONE = 0, SX_MBOX_FOUND, SX_MBOX_MORE };

/* Longest separator line, and longest prefix of the next line read to see
 * whether it is a header field. */
#define SX_MBOX_SEP_MAX 1000

/* Look for the first separator line starting in [from, end) at a line
 * start; lo <= from is a line start and the lowest byte that may be read.
 * eof says whether more data can come. Returns
 * SX_MBOX_FOUND with *at = its start; SX_MBOX_MORE when a decision needs
 * bytes beyond end, *at = where to resume once more data is there;
 * SX_MBOX_NONE when no separator starts before end (*at = where to resume:
 * end, or the start of an unfinished line that may be a separator).
 * quoted (may be NULL): when *quoted is NULL, it is set to the first line
 * start passed over that reads ">+From " (or may, the data ending in it),
 * so that sx_mbox_unquote need not search the message again. */
int sx_mbox_find(const char *lo, const char *from, const char *end, char eol,
                 int eof, const char **at, const char **quoted);

/* Is the complete line [s, e) a separator, given the line that follows it
 * ([n, ne), n == NULL when unknown)? */
int sx_mbox_is_sep(const char *s, const char *e, const char *n,
                   const char *ne);

/* mboxrd unquoting in place: one '>' removed from every line matching
 * ^>+From . No such line starts before offset first (0 when unknown;
 * len or more: none at all, nothing is read). Returns the new length. */
size_t sx_mbox_unquote(char *msg, size_t len, char eol, size_t first);

#endif
