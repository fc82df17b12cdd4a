/* Host and user lookups: in a static glibc program these go through NSS,
 * which loads libnss_*.so.2 at run time. */
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    int rc = getaddrinfo(argc > 1 ? argv[1] : "localhost", NULL, &hints, &res);
    struct passwd *pw = getpwnam("root");
    printf("getaddrinfo=%d root=%s\n", rc, pw ? pw->pw_dir : "?");
    if (res) freeaddrinfo(res);
    return 0;
}
