#ifndef PROVIDERD_COPENSSL_SHIM_H
#define PROVIDERD_COPENSSL_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/err.h>

/* OPENSSL_cleanse is a function, but keep every entry point we use in one place. */
static inline void providerd_cleanse(void *p, size_t n) { OPENSSL_cleanse(p, n); }
#endif
