/* Names an NSS module in its data but calls no NSS function: glibc loads
 * no libnss_*.so.2, so a static build of it runs on distroless/static. */
#include <stdio.h>

int main(void) {
    puts("libnss_files.so.2");
    return 0;
}
