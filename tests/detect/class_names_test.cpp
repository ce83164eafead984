#include "tilescope/core/error.h"
#include "tilescope/detect/class_names.h"

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>

namespace tilescope::detect {
namespace {

using Names = std::vector<std::string>;

TEST(NamesMetadata, UltralyticsDict) {
  EXPECT_EQ(parse_names_metadata("{0: 'person', 1: 'bicycle', 2: 'traffic light'}"),
            (Names{"person", "bicycle", "traffic light"}));
}

// Python's repr() switches to double quotes when a name holds a single quote,
// and escapes with backslashes when it holds both.
TEST(NamesMetadata, QuotesAndEscapes) {
  EXPECT_EQ(parse_names_metadata(R"({0: "kid's bike", 1: 'say "hi"', 2: 'both \' and "', 3: 'back\\slash'})"),
            (Names{"kid's bike", "say \"hi\"", "both ' and \"", "back\\slash"}));
  EXPECT_EQ(parse_names_metadata(R"({0: 'caf\xe9', 1: '\u4eba', 2: 'tab\there'})"),
            (Names{"caf\xc3\xa9", "\xe4\xba\xba", "tab\there"}));
  EXPECT_EQ(parse_names_metadata("{0: 'caf\xc3\xa9'}"), (Names{"caf\xc3\xa9"})); // UTF-8 as written by str()
  EXPECT_EQ(parse_names_metadata("{0: 'a: b, {c}'}"), (Names{"a: b, {c}"}));
}

TEST(NamesMetadata, GapsOrderListsAndEmpty) {
  EXPECT_EQ(parse_names_metadata("{2: 'c', 0: 'a'}"), (Names{"a", "class1", "c"}));
  EXPECT_EQ(parse_names_metadata("['a', \"b\"]"), (Names{"a", "b"}));
  EXPECT_EQ(parse_names_metadata("  {0:'a',1:'b',}  "), (Names{"a", "b"}));
  EXPECT_TRUE(parse_names_metadata("{}").empty());
}

TEST(NamesMetadata, BadTextNamesThePosition) {
  for (const char* bad : {"{0: person}", "{0: 'a' 1: 'b'}", "{0: 'a'", "{0: 'a'} extra", "{0: 'a', 0: 'b'}",
                          "{999999999: 'x'}", "{-1: 'x'}", "", "{0: 'bad \\q'}", "{0: '\\x4'}"}) {
    try {
      parse_names_metadata(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("offset"), std::string::npos) << e.what();
    }
  }
}

class LabelsFile : public ::testing::Test {
protected:
  std::string write(const std::string& text) {
    path_ = ::testing::TempDir() + "labels_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt";
    std::ofstream(path_, std::ios::binary) << text;
    return path_;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_;
};

TEST_F(LabelsFile, OneNamePerLine) {
  EXPECT_EQ(read_labels_file(write("knife\r\n  hand gun \nperson\n\n\n")),
            (Names{"knife", "hand gun", "person"}));
  EXPECT_EQ(read_labels_file(write("only")), (Names{"only"}));
}

TEST_F(LabelsFile, BlankLineBetweenNamesIsAnError) {
  const std::string path = write("a\n\nb\n");
  try {
    read_labels_file(path);
    FAIL() << "accepted a blank line";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2:"), std::string::npos) << e.what();
  }
}

TEST_F(LabelsFile, EmptyOrMissingFile) {
  EXPECT_THROW(read_labels_file(write("\n \n")), Error);
  try {
    read_labels_file("/nonexistent/labels.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/labels.txt"), std::string::npos);
  }
}

TEST(ClassNames, CocoAndGeneric) {
  const Names& coco = coco_class_names();
  ASSERT_EQ(coco.size(), 80u);
  EXPECT_EQ(coco[0], "person");
  EXPECT_EQ(coco[9], "traffic light");
  EXPECT_EQ(coco[43], "knife");
  EXPECT_EQ(coco[79], "toothbrush");
  EXPECT_EQ(generic_class_names(3), (Names{"class0", "class1", "class2"}));
}

} // namespace
} // namespace tilescope::detect
