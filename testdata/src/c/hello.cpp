#include <iostream>
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
        std::cout << "caught " << e.what() << std::endl;
    }
    return 0;
}
