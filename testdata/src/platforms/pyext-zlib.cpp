// A native library as a Python package ships one (loaded with ctypes or
// as an extension module): C++ (libstdc++, libgcc_s) and zlib (libz.so.1).
#include <cstring>
#include <string>
#include <zlib.h>

extern "C" unsigned long demo_crc(const char *s) {
    std::string copy(s);
    return crc32(0L, reinterpret_cast<const Bytef *>(copy.data()), copy.size());
}
