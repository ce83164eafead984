// NumPy .npy files (format versions 1.0-3.0, little-endian, C order) for model
// inputs and outputs on the command line and in tests.
#pragma once

#include "tilescope/engine/tensor.h"

#include <string>

namespace tilescope::engine {

// Reads a .npy file. Supported element types: <f4 <f8 <i8 <i4 |i1 |u1 |b1.
// Throws Error naming the file on a bad header, Fortran order, an unsupported
// type or a size mismatch.
Tensor read_npy(const std::string& path);

// Writes `tensor` as a version 1.0 .npy file. Throws Error on I/O failure.
void write_npy(const std::string& path, const Tensor& tensor);

} // namespace tilescope::engine
