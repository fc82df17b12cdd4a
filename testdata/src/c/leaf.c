/* A shared library with no DT_NEEDED at all (built with -nostdlib). */
int leaf_answer(void) { return 42; }
