/* Runs a shell at run time: system() and popen() both execute /bin/sh,
   which no distroless image has. It starts, then the call fails: system()
   returns the child's exit status 127 ("command not found"). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

int main(void) {
    int status = system("echo from a shell");
    printf("system returned %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    FILE *p = popen("echo from popen", "r");
    int closed = p ? pclose(p) : -1;
    printf("popen/pclose returned %d\n", closed >= 0 && WIFEXITED(closed) ? WEXITSTATUS(closed) : -1);
    return 0;
}
