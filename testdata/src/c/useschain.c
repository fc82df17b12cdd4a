/* An application whose library's own dependency is found through the
   program's DT_RPATH $ORIGIN/../lib (apps/rpath-chain). */
int chain_greet(const char *name);

int main(void) {
    return chain_greet("distroless") > 1 ? 0 : 1;
}
