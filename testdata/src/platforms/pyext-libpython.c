/* A native library linked against libpython (as an extension built with
 * `python3-config --ldflags --embed` is): DT_NEEDED libpython3.11.so.1.0. */
#include <Python.h>

int demo_initialized(void) {
    return Py_IsInitialized();
}
