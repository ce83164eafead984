// N-of-M confirmation on hand-made seen/missed sequences; expected results worked out
// by counting the sightings in the last M entries by hand.
#include "tilescope/core/error.h"
#include "tilescope/track/confirmation.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace tilescope::track {
namespace {

// Feeds `seen` (1 = seen, 0 = missed) for one track and returns observe()'s answers.
std::vector<bool> run(Confirmation& c, int id, const std::string& seen) {
  std::vector<bool> out;
  for (char s : seen)
    out.push_back(c.observe(id, s == '1'));
  return out;
}

std::vector<bool> bits(const std::string& s) {
  std::vector<bool> out;
  for (char ch : s)
    out.push_back(ch == '1');
  return out;
}

struct Case {
  int n, m;
  std::string seen, confirmed;
};

TEST(Confirmation, HandMadeSequences) {
  const std::vector<Case> cases = {
      {3, 5, "1011", "0001"},             // 3 sightings within 4 frames: 4th call
      {3, 5, "100011", "000000"},         // last 5 = 0,0,0,1,1: only 2
      {3, 5, "1000111", "0000001"},       // 3 in the last 3
      {3, 5, "1101000000", "0001111111"}, // confirmed at 4th (1,1,0,1), stays after misses
      {3, 5, "10101", "00001"},           // exactly 3 of 5
      {3, 5, "1001001001", "0000000000"}, // never 3 within any 5 frames
      {1, 1, "0010", "0011"},             // N=1: first sighting
      {5, 5, "1111011111", "0000000001"}, // needs 5 in a row
  };
  for (const Case& k : cases) {
    Confirmation c({.required = k.n, .window = k.m});
    EXPECT_EQ(run(c, 7, k.seen), bits(k.confirmed)) << "N=" << k.n << " M=" << k.m << " seen=" << k.seen;
  }
}

TEST(Confirmation, WindowOf64) {
  // Sightings 63 frames apart are both within a 64-frame window; 64 apart are not.
  Confirmation c({.required = 2, .window = 64});
  EXPECT_FALSE(c.observe(1, true));
  for (int i = 0; i < 62; ++i)
    EXPECT_FALSE(c.observe(1, false));
  EXPECT_TRUE(c.observe(1, true)); // 64th frame: window holds frames 1..64
  Confirmation d({.required = 2, .window = 64});
  EXPECT_FALSE(d.observe(1, true));
  for (int i = 0; i < 63; ++i)
    EXPECT_FALSE(d.observe(1, false));
  EXPECT_FALSE(d.observe(1, true)); // 65th frame: the first sighting has left the window
}

TEST(Confirmation, TracksAreIndependent) {
  Confirmation c;
  EXPECT_FALSE(c.observe(1, true));
  EXPECT_FALSE(c.observe(2, true));
  EXPECT_FALSE(c.observe(1, true));
  EXPECT_FALSE(c.observe(2, false));
  EXPECT_TRUE(c.observe(1, true));
  EXPECT_FALSE(c.observe(2, true));
  EXPECT_TRUE(c.confirmed(1));
  EXPECT_FALSE(c.confirmed(2));
  EXPECT_FALSE(c.confirmed(3)); // unknown
  EXPECT_EQ(c.size(), 2u);
}

TEST(Confirmation, ForgetStartsAfresh) {
  Confirmation c;
  EXPECT_EQ(run(c, 4, "111"), bits("001"));
  c.forget(4);
  EXPECT_FALSE(c.confirmed(4));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(run(c, 4, "11"), bits("00")); // old sightings are gone too
  c.forget(99);                           // unknown id: nothing happens
  EXPECT_EQ(c.size(), 1u);
  c.clear();
  EXPECT_EQ(c.size(), 0u);
}

TEST(Confirmation, RejectsBadOptions) {
  EXPECT_THROW(Confirmation({.required = 0, .window = 5}), Error);
  EXPECT_THROW(Confirmation({.required = 6, .window = 5}), Error);
  EXPECT_THROW(Confirmation({.required = 3, .window = 65}), Error);
}

} // namespace
} // namespace tilescope::track
