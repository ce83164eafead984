// Reads the text case files of tests/tiling/cases (DuckDB-style): blocks separated
// by blank lines; in each block, input lines, a "----" line, expected lines. Lines
// starting with '#' are comments.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tilescope::tiling::testing {

struct TextCase {
  std::string file;
  int line = 0;                      // first line of the block
  std::vector<std::string> input;    // before "----"
  std::vector<std::string> expected; // after "----"
  std::string name() const {
    return file + ":" + std::to_string(line) + " " + (input.empty() ? "" : input[0]);
  }
};

inline std::vector<TextCase> read_cases(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<TextCase> cases;
  TextCase current;
  bool in_expected = false;
  const auto flush = [&] {
    if (!current.input.empty() || !current.expected.empty()) cases.push_back(current);
    current = TextCase{};
    current.file = path.substr(path.find_last_of('/') + 1);
    in_expected = false;
  };
  flush();
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line[0] == '#') continue;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      flush();
      continue;
    }
    if (current.input.empty() && current.expected.empty()) current.line = number;
    if (line.rfind("----", 0) == 0) {
      in_expected = true;
      continue;
    }
    (in_expected ? current.expected : current.input).push_back(line);
  }
  flush();
  return cases;
}

// "1920x1080" -> (1920, 1080).
inline std::pair<int, int> parse_size(const std::string& text) {
  const auto x = text.find('x');
  if (x == std::string::npos) throw std::runtime_error("not a size: " + text);
  return {std::stoi(text.substr(0, x)), std::stoi(text.substr(x + 1))};
}

inline std::vector<std::string> words(const std::string& line) {
  std::istringstream ss(line);
  std::vector<std::string> out;
  for (std::string w; ss >> w;)
    out.push_back(w);
  return out;
}

} // namespace tilescope::tiling::testing
