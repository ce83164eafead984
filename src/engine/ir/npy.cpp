#include "tilescope/engine/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <vector>

namespace tilescope::engine {
namespace {

struct NpyType {
  const char* descr;
  DType dtype;
};
// '|' marks byte-sized types; '<' little-endian (the only byte order this machine uses).
constexpr NpyType kTypes[] = {{"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<i8", DType::kInt64},
                              {"<i4", DType::kInt32},   {"|i1", DType::kInt8},    {"|u1", DType::kUInt8},
                              {"|b1", DType::kBool}};

[[noreturn]] void fail(const std::string& path, const std::string& why) { throw Error(path + ": " + why); }

} // namespace

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) fail(path, "not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(path, "truncated header");
    header_len = 0;
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    fail(path, "unsupported .npy version " + std::to_string(major));
  }
  if (header_start + header_len > bytes.size()) fail(path, "truncated header");
  const std::string header(bytes.data() + header_start, header_len);

  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']+)')")))
    fail(path, "header has no descr");
  const std::string descr = m[1];
  DType dtype = DType::kUndefined;
  for (const auto& t : kTypes) {
    if (descr == t.descr ||
        (descr.size() == 3 && descr[0] == '=' && descr.substr(1) == std::string(t.descr).substr(1)))
      dtype = t.dtype;
  }
  if (dtype == DType::kUndefined) fail(path, "unsupported element type '" + descr + "'");
  if (std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*True)")))
    fail(path, "Fortran-order arrays are not supported (save with C order)");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    fail(path, "header has no shape");
  Shape shape;
  const std::string dims = m[1];
  std::regex dim_re(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), dim_re); it != std::sregex_iterator(); ++it) {
    shape.push_back(std::stoll(it->str()));
  }
  Tensor t(dtype, shape);
  const std::size_t data_start = header_start + header_len;
  if (bytes.size() - data_start != t.nbytes()) {
    fail(path, "data size " + std::to_string(bytes.size() - data_start) + " bytes does not match shape " +
                   shape_str(shape) + " of " + std::string(dtype_name(dtype)));
  }
  std::memcpy(t.raw(), bytes.data() + data_start, t.nbytes());
  return t;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  const char* descr = nullptr;
  for (const auto& t : kTypes)
    if (t.dtype == tensor.dtype()) descr = t.descr;
  if (descr == nullptr)
    throw Error(path + ": cannot write element type " + std::string(dtype_name(tensor.dtype())));
  std::string shape = "(";
  for (std::size_t i = 0; i < tensor.shape().size(); ++i)
    shape += std::to_string(tensor.shape()[i]) + ",";
  if (tensor.shape().size() > 1) shape.pop_back();
  shape += ")";
  std::string header =
      "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that magic(6)+version(2)+len(2)+header+'\n' is a multiple of 64.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(path + ": cannot open for writing");
  const char magic[] = "\x93NUMPY\x01\x00";
  out.write(magic, 8);
  const auto len = static_cast<std::uint16_t>(header.size());
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(tensor.raw()), static_cast<std::streamsize>(tensor.nbytes()));
  if (!out) throw Error(path + ": write failed");
}

} // namespace tilescope::engine
