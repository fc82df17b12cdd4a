/* An application that ships its own library in ../lib (RUNPATH $ORIGIN/../lib). */
int demo_greet(const char *name);

int main(void) {
    return demo_greet("distroless") > 0 ? 0 : 1;
}
