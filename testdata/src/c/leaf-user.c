/* Calls libleaf.so's function: linked with libleaf.so and DT_RUNPATH
   $ORIGIN, the way a program is shipped with its library beside it. */
#include <stdio.h>

int leaf_answer(void);

int main(void) {
    printf("%d\n", leaf_answer());
    return 0;
}
