/* A library that needs libdemo.so.1 but names no search path of its own:
   the loader finds libdemo.so.1 through the DT_RPATH of the program that
   loads it (apps/rpath-chain), which a library without DT_RUNPATH inherits. */
int demo_greet(const char *name);

int chain_greet(const char *name) {
    return demo_greet(name) + 1;
}
