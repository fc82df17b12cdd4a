/* Loads a library at run time: invisible to DT_NEEDED. */
#include <dlfcn.h>
#include <stdio.h>

int main(void) {
    void *h = dlopen("libz.so.1", RTLD_NOW);
    printf("libz %s\n", h ? "loaded" : dlerror());
    return 0;
}
