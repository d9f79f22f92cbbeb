/*
 * bounce_sha1.c - the record token: SHA-1 of the (sender, recipient, time)
 * key, in hex, computed by OpenSSL's libcrypto.
 *
 * The token only has to match what other tools compute for the same
 * triple; it is an identifier, not a security measure, so SHA-1's
 * weakness does not matter here. A key is a few dozen bytes, so the cost
 * is in the calls around the hash: libcrypto's one-shot SHA1() looks the
 * algorithm up on every call, and a reused EVP context still allocates
 * and frees the provider's state on each init. Where libcrypto still has
 * the plain SHA1_Init/Update/Final (deprecated since 3.0, not removed),
 * their state lives on the stack: no lookup, no allocation. A libcrypto
 * built without them gets the EVP path: the algorithm fetched once per
 * process, a digest context per thread's bounce state (sx_bctx).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>

#include "bounce/bounce.h"

static void to_hex(const unsigned char md[20], char out[41])
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 20; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[40] = '\0';
}

#ifndef OPENSSL_NO_DEPRECATED_3_0
smtpdx_status sx_bsha1_hex(sx_bctx *b, const void *data, size_t len,
                           char out[41])
{
    SHA_CTX c;
    unsigned char md[SHA_DIGEST_LENGTH];
    (void)b;
    if (!SHA1_Init(&c) || !SHA1_Update(&c, data, len) || !SHA1_Final(md, &c))
        return SMTPDX_ERR_NOMEM;
    to_hex(md, out);
    return SMTPDX_OK;
}
#else
static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MD *sha1; /* shared read-only once fetched; never freed */

static void fetch(void)
{
    sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

smtpdx_status sx_bsha1_hex(sx_bctx *b, const void *data, size_t len,
                           char out[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    pthread_once(&once, fetch);
    if (sha1 == NULL)
        return SMTPDX_ERR_NOMEM; /* libcrypto could not set itself up */
    if (b->sha1 == NULL && (b->sha1 = EVP_MD_CTX_new()) == NULL)
        return SMTPDX_ERR_NOMEM;
    EVP_MD_CTX *c = b->sha1;
    if (!EVP_DigestInit_ex2(c, sha1, NULL) || !EVP_DigestUpdate(c, data, len) ||
        !EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 20)
        return SMTPDX_ERR_NOMEM;
    to_hex(md, out);
    return SMTPDX_OK;
}
#endif
