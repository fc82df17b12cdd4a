// A JNI library in C++: loaded by the JVM (System.loadLibrary), it needs
// libstdc++ and libgcc_s. It declares the JNI entry point itself, so no
// JDK is needed to build it; JNI_OnLoad returns JNI_VERSION_1_8.
#include <string>

extern "C" int JNI_OnLoad(void *vm, void *reserved) {
    std::string version = "1.8";
    (void)vm;
    (void)reserved;
    return version.size() == 3 ? 0x00010008 : -1;
}
