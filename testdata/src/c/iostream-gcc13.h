// Included before hello.cpp (g++ -include) to build it as g++ 13.2 and
// later do: from GCC 13.2, <iostream> initialises the standard streams in
// libstdc++ and makes every program that includes it reference
// std::ios_base_library_init(), defined at GLIBCXX_3.4.32. This machine's
// g++ is 12: the line below is the one GCC 14's <iostream>
// (libstdc++-14-dev) adds, word for word.
__extension__ __asm (".globl _ZSt21ios_base_library_initv");
