// A C++ program that needs libstdc++ and libgcc_s (exceptions), without
// iostream so that the static builds stay small.
#include <cstdio>
#include <stdexcept>
#include <string>

static void fail(const std::string &why) {
    throw std::runtime_error("failure: " + why);
}

int main() {
    std::string who = "c++";
    try {
        fail(who);
    } catch (const std::exception &e) {
        std::printf("caught %s\n", e.what());
    }
    return 0;
}
