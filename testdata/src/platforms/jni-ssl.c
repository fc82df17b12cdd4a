/* A JNI library that links OpenSSL: DT_NEEDED libssl.so.3 and
 * libcrypto.so.3, which the java images (built on base-nossl) lack. */
#include <openssl/ssl.h>

int JNI_OnLoad(void *vm, void *reserved) {
    (void)vm;
    (void)reserved;
    return OPENSSL_init_ssl(0, NULL) ? 0x00010008 : -1;
}
