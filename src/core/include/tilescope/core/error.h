// The one exception type of tilescope. Thrown for user-facing failures (bad model
// files, bad configuration, unsupported operators) and caught at the boundaries:
// CLI main, request handlers, camera threads. Third-party exceptions are converted
// into it where the third-party library is called.
#pragma once

#include <stdexcept>
#include <string>

namespace tilescope {

class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

} // namespace tilescope
