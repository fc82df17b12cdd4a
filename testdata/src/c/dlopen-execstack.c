/* Loads a library that asks for an executable stack at run time. glibc 2.41
   (debian13) refuses: "cannot enable executable stack as shared object
   requires: Invalid argument"; older glibc makes the stack executable. */
#include <dlfcn.h>
#include <stdio.h>

int main(void) {
    void *h = dlopen("libexecstack.so", RTLD_NOW);
    printf("libexecstack %s\n", h ? "loaded" : dlerror());
    return h ? 0 : 1;
}
