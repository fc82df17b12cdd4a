#include <stdio.h>
#include <string.h>

int demo_greet(const char *name) {
    printf("hello, %s\n", name);
    return (int)strlen(name);
}
