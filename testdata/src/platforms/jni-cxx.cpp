// A JNI library in C++: loaded by the JVM (System.loadLibrary), it needs
// libstdc++ and libgcc_s (it throws and catches). It declares the JNI entry
// point itself, so no JDK is needed to build it; JNI_OnLoad returns
// JNI_VERSION_1_8.
#include <stdexcept>
#include <string>

static int version(const std::string &v) {
    if (v.empty()) {
        throw std::invalid_argument("no version");
    }
    return 0x00010008;
}

extern "C" int JNI_OnLoad(void *vm, void *reserved) {
    (void)vm;
    (void)reserved;
    try {
        return version(reserved ? "" : "1.8");
    } catch (const std::exception &) {
        return -1;
    }
}
