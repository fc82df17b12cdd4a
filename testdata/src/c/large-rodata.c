/* Loads a library at run time and starts /bin/sh, with 9 MiB of constant
 * data: a .rodata section large enough (8 MiB or more) that dlcheck searches
 * it for library names and for a shell's path on two threads. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static const unsigned char table[9 << 20] = {1};

int main(int argc, char **argv) {
    (void)argv;
    void *h = dlopen("libz.so.1", RTLD_NOW);
    printf("libz %s, table %d\n", h ? "loaded" : dlerror(), table[argc * 4096]);
    execl("/bin/sh", "sh", "-c", "echo from a shell", (char *)0);
    return 127;
}
