/*
 * bounce_lines.c - what one line of a notice's text is: an error stated,
 * boilerplate, a bare label, a section rule, a heading over delivered
 * addresses or over guessed causes. The free-text readers ask these to
 * tell a server's reply from the words a notice wraps it in.
 */
#include <stddef.h>
#include <string.h>

#include "bounce/bounce_lines.h"
#include "bounce/bounce_text.h"

int sx_bl_error(sx_str l)
{
    static const char *const words[] = {
        "user unknown", "unknown user", "no such", "does not exist",
        "not exist", "rejected", "refused", "denied", "failed", "failure",
        "unavailable", "invalid", "quota", "full", "not found", "unknown",
        "error", "blocked", "disabled", "expired", "timed out", "timeout",
        "unrouteable", "unroutable", "too large", "exceeded", "not allowed",
        "could not", "couldn't", "can't", "cannot", "unable", "spam",
        "suspended", "inactive", "deactivated", "exceed", "undeliverable",
        "not delivered", "no valid", "not listed",
        /* the same in the languages notices come in */
        "失敗", "失败", "できませんでした", "エラー", "存在しません",
        "不存在", "退信", "错误", "실패", "오류", "없습니다", "ошибк",
        "не доставлено", "невозможно", "fehlgeschlagen", "unzustellbar",
        /* only ASCII letters are compared caselessly: the forms that
         * open a sentence too */
        "Ошибк", "Не доставлено", "Невозможно", "Échec",
        "échec", "impossible", "no se pudo", "non recapitabile",
        "nicht zugestellt", "nicht gefunden", "nicht zustellbar",
        "non remis", "introuvable", "n'a pas pu", "no se ha podido",
        "no ha podido", "no se ha entregado", "no se ha encontrado",
        "non è stato", "non consegnat", "não foi",
        "niet afgeleverd", "kon niet", "nie można", "nie został",
        "配信されませんでした", "届きませんでした", "未能送达", "无法送达",
        NULL};
    static sx_bt_set set = SX_BT_SET(words);
    size_t at;
    if (sx_bt_find_code(l.p, l.len, &at))
        return 1;
    char enh[16];
    if (sx_bt_find_enhanced(l.p, l.len, enh, &at))
        return 1;
    return sx_bt_has_set(l, &set);
}

/* A paragraph that announces delivered addresses below it
 * ("Delivered:", "Successfully delivered to:") and no failure. */
int sx_bl_success_heading(sx_str t)
{
    static const char *const words[] = {"delivered", "succeeded",
                                        "successful", NULL};
    /* "... has not yet been delivered is:" is a warning's heading */
    static const char *const negated[] = {"not", "n't", "undeliver",
                                          "yet", "never", NULL};
    static sx_bt_set words_set = SX_BT_SET(words),
                     negated_set = SX_BT_SET(negated);
    t = sx_bt_trim(t);
    return t.len > 0 && t.len < 200 && t.p[t.len - 1] == ':' &&
           sx_bt_has_set(t, &words_set) && !sx_bt_has_set(t, &negated_set) &&
           !sx_bl_error(t);
}

/* Does t (not empty) open with the first letter of word (caseless)? Most
 * lines fail a word list on it, before the word's length is taken. */
static int first_is(sx_str t, const char *word)
{
    return sx_bt_lower[(unsigned char)t.p[0]] ==
           sx_bt_lower[(unsigned char)word[0]];
}

/* A line that only announces the reason on the lines below it ("because:"
 * in Domino's notice) says nothing by itself. */
int sx_bl_label_only(sx_str t)
{
    static const char *const labels[] = {
        "because:", "reason:", "reasons:", "failure reason:",
        "failure reasons:", "reason for failure:", "error:", "details:",
        "additional information:", "additional information follows:",
        "the problem appears to be:", NULL};
    /* "Reason :" as some notices space it */
    if (t.len >= 3 && t.p[t.len - 1] == ':' && t.p[t.len - 2] == ' ') {
        sx_str n = sx_bt_trim(sx_bt_str(t.p, t.len - 1));
        for (size_t i = 0; labels[i]; i++)
            if (n.len > 0 && first_is(n, labels[i]) &&
                n.len + 1 == strlen(labels[i]) &&
                sx_bt_ieq(n.p, labels[i], n.len))
                return 1;
        return 0;
    }
    for (size_t i = 0; labels[i]; i++)
        if (t.len > 0 && first_is(t, labels[i]) &&
            t.len == strlen(labels[i]) && sx_bt_ieq(t.p, labels[i], t.len))
            return 1;
    return 0;
}

/* Lines of boilerplate that are no part of a reply (they open the line). */
int sx_bl_boilerplate(sx_str l)
{
    static const char *const words[] = {
        "this is a permanent error", "i'm afraid i wasn't able",
        "sorry it didn't work out", "the following address",
        "delivery to the following recipient", "for further assistance",
        "please contact your", "the mail system",
        "this message was created automatically", "please reply to",
        "if you feel this message", "if you have any questions",
        "it will be retried", "message will be retried",
        "the message will be retried",
        /* where the returned copy is: "Your original message is attached
         * below." */
        "your original message", "the original message is",
        "the original message has been", "your message is attached",
        "a copy of your message is",
        "no further attempts will be made", "no more attempts will be made",
        /* a field naming the kind of the error, above the error itself
         * ("Error Type: SMTP", "Error Type: DNS") */
        "error type:", NULL};
    sx_str t = sx_bt_trim(l);
    for (size_t i = 0; words[i]; i++)
        if (sx_bt_iprefix(t.p, t.len, words[i]))
            return 1;
    /* the line that names the server that wrote an Exchange notice
     * (bounce_emit.c takes it as the reporting host) */
    if (sx_bt_genserver_label(t.p, t.len) > 0)
        return 1;
    return sx_bl_label_only(t);
}

/* A heading over the causes a notice can only guess at ("Possible
 * explanations for the failure:", then "the mailbox is full", "the
 * address is misspelled"): what follows is no reply, and taken as one it
 * would name a cause the server never gave. */
int sx_bl_guesses(sx_str t)
{
    static const char *const words[] = {
        "possible explanation", "possible reason", "possible cause",
        "common causes", "common reasons",
        "this may be because", "this can happen", "this could be because",
        "typical causes", "likely causes", NULL};
    for (size_t i = 0; words[i]; i++)
        if (sx_bt_iprefix(t.p, t.len, words[i]))
            return 1;
    return 0;
}

/* A section rule or heading: "-----", "=====", "----- Title -----",
 * "****** Message from ... ******". */
int sx_bl_rule(sx_str t)
{
    if (t.len < 3 || (t.p[0] != '-' && t.p[0] != '=' && t.p[0] != '*'))
        return 0;
    size_t i = 1;
    while (i < t.len && t.p[i] == t.p[0])
        i++;
    if (i == t.len)
        return 1;
    return i >= 3 && t.len >= 6 && memcmp(t.p + t.len - 3, t.p, 3) == 0;
}
