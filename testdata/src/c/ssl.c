#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

int main(void) {
    if (!OPENSSL_init_ssl(0, NULL))
        return 1;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return 1;
    /* OpenSSL_version lives in libcrypto, so libcrypto is needed directly. */
    printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
    SSL_CTX_free(ctx);
    return 0;
}
