#include "tilescope/detect/class_names.h"

#include "tilescope/core/error.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>

namespace tilescope::detect {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A cursor over Python repr() text; every failure names the offset.
class ReprParser {
public:
  explicit ReprParser(std::string_view text) : text_(text) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error("metadata 'names': " + what + " at offset " + std::to_string(pos_) + " of \"" +
                std::string(text_.substr(0, 80)) + (text_.size() > 80 ? "...\"" : "\""));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() {
    skip_space();
    return at_end() ? '\0' : text_[pos_];
  }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }

  long key() {
    skip_space();
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
    if (pos_ == start) fail("expected an integer class id");
    const std::string digits(text_.substr(start, pos_ - start));
    if (digits.size() > 5 || digits[0] == '-') { // ids up to 99999: no giant tables from bad text
      pos_ = start;
      fail("class id " + digits + " out of range");
    }
    return std::stol(digits);
  }

  std::string string_literal() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted name");
    ++pos_;
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const char c = text_[pos_++];
      if (c == quote) return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) fail("unterminated escape");
      const char e = text_[pos_++];
      switch (e) {
      case '\\':
      case '\'':
      case '"': out += e; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'x': append_utf8(out, hex(2)); break;
      case 'u': append_utf8(out, hex(4)); break;
      case 'U': append_utf8(out, hex(8)); break;
      default: fail(std::string("unknown escape \\") + e);
      }
    }
  }

private:
  std::uint32_t hex(int digits) {
    std::uint32_t value = 0;
    for (int i = 0; i < digits; ++i, ++pos_) {
      if (at_end() || !std::isxdigit(static_cast<unsigned char>(text_[pos_]))) fail("bad hex escape");
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text_[pos_])));
      value = value * 16 + static_cast<std::uint32_t>(
                               std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10);
    }
    if (value > 0x10FFFF) fail("code point out of range");
    return value;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string trim(const std::string& s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  auto begin = std::find_if(s.begin(), s.end(), not_space);
  auto end = std::find_if(s.rbegin(), s.rend(), not_space).base();
  return begin < end ? std::string(begin, end) : std::string();
}

} // namespace

std::vector<std::string> parse_names_metadata(std::string_view text) {
  ReprParser p(text);
  std::vector<std::string> names;
  if (p.accept('[')) {
    while (!p.accept(']')) {
      names.push_back(p.string_literal());
      if (!p.accept(',') && p.peek() != ']') p.fail("expected ',' or ']'");
    }
  } else {
    p.expect('{');
    std::map<long, std::string> by_id;
    while (!p.accept('}')) {
      const long id = p.key();
      p.expect(':');
      if (!by_id.emplace(id, p.string_literal()).second)
        p.fail("class id " + std::to_string(id) + " repeated");
      if (!p.accept(',') && p.peek() != '}') p.fail("expected ',' or '}'");
    }
    if (!by_id.empty()) {
      names = generic_class_names(static_cast<int>(by_id.rbegin()->first) + 1);
      for (auto& [id, name] : by_id)
        names[static_cast<std::size_t>(id)] = std::move(name);
    }
  }
  if (!p.at_end() && p.peek() != '\0') p.fail("unexpected text after the names");
  return names;
}

std::vector<std::string> read_labels_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open labels file");
  std::vector<std::string> names;
  std::optional<std::size_t> first_blank; // line number of a blank line seen before the latest name
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    std::string name = trim(line);
    if (name.empty()) {
      if (!first_blank) first_blank = number;
      continue;
    }
    if (first_blank)
      throw Error(path + ":" + std::to_string(*first_blank) + ": empty class name between names");
    names.push_back(std::move(name));
  }
  if (in.bad()) throw Error(path + ": read error");
  if (names.empty()) throw Error(path + ": labels file has no class names");
  return names;
}

std::vector<std::string> generic_class_names(int count) {
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(std::max(count, 0)));
  for (int i = 0; i < count; ++i)
    names.push_back("class" + std::to_string(i));
  return names;
}

const std::vector<std::string>& coco_class_names() {
  // ultralytics/cfg/datasets/coco.yaml; NanoDet's config spells the same classes
  // with underscores (traffic_light), we keep Ultralytics' spelling everywhere.
  static const std::vector<std::string> kNames = {"person",        "bicycle",      "car",
                                                  "motorcycle",    "airplane",     "bus",
                                                  "train",         "truck",        "boat",
                                                  "traffic light", "fire hydrant", "stop sign",
                                                  "parking meter", "bench",        "bird",
                                                  "cat",           "dog",          "horse",
                                                  "sheep",         "cow",          "elephant",
                                                  "bear",          "zebra",        "giraffe",
                                                  "backpack",      "umbrella",     "handbag",
                                                  "tie",           "suitcase",     "frisbee",
                                                  "skis",          "snowboard",    "sports ball",
                                                  "kite",          "baseball bat", "baseball glove",
                                                  "skateboard",    "surfboard",    "tennis racket",
                                                  "bottle",        "wine glass",   "cup",
                                                  "fork",          "knife",        "spoon",
                                                  "bowl",          "banana",       "apple",
                                                  "sandwich",      "orange",       "broccoli",
                                                  "carrot",        "hot dog",      "pizza",
                                                  "donut",         "cake",         "chair",
                                                  "couch",         "potted plant", "bed",
                                                  "dining table",  "toilet",       "tv",
                                                  "laptop",        "mouse",        "remote",
                                                  "keyboard",      "cell phone",   "microwave",
                                                  "oven",          "toaster",      "sink",
                                                  "refrigerator",  "book",         "clock",
                                                  "vase",          "scissors",     "teddy bear",
                                                  "hair drier",    "toothbrush"};
  return kNames;
}

} // namespace tilescope::detect
