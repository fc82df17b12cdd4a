/* Calls pthread_exit: glibc dlopens libgcc_s.so.1 to unwind the thread. */
#include <pthread.h>
#include <stdio.h>

static void *worker(void *arg) {
    (void)arg;
    pthread_exit(NULL);
}

int main(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) return 1;
    pthread_join(t, NULL);
    puts("joined");
    return 0;
}
