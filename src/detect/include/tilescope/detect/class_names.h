// Class names: from a model's metadata, a labels file, or generated.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tilescope::detect {

// Parses Ultralytics' ONNX metadata `names`: Python's repr() of a dict
// {0: 'person', 1: 'bicycle'} (or of a list ['person', 'bicycle'], as some YOLOv5
// exports write). Handles both quote styles, escapes (\' \" \\ \n \t \xhh \uXXXX)
// and quotes inside names ("{0: \"kid's bike\"}"). Keys need not be in order;
// missing ones become "class<i>". Throws Error naming the position on bad text.
std::vector<std::string> parse_names_metadata(std::string_view text);

// Reads a labels file: one class name per line, line i = class i. Surrounding
// whitespace and a trailing '\r' are dropped; trailing empty lines are ignored.
// Throws Error naming the file (and line) when it cannot be read, is empty or has
// an empty line between names.
std::vector<std::string> read_labels_file(const std::string& path);

// "class0", "class1", ... for models without names.
std::vector<std::string> generic_class_names(int count);

// The 80 COCO detection classes, Ultralytics spelling (coco.yaml): "person", ...,
// "traffic light", ..., "toothbrush".
const std::vector<std::string>& coco_class_names();

} // namespace tilescope::detect
