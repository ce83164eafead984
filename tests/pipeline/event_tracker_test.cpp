// EventTracker with synthetic tracks and a real Store in a temporary folder: N-of-M
// confirmation, min_score, event classes, the best snapshot, zones, closing.
#include "event_tracker.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <unistd.h>

namespace tilescope::pipeline {
namespace {

namespace fs = std::filesystem;
using Kind = EventNotice::Kind;

const std::vector<std::string> kClasses{"person", "bicycle", "car"};
constexpr int kPerson = 0, kCar = 2;
const cv::Size kFrame{320, 240};

track::Track tracked(int id, int class_id, float score, detect::BoxXYXY box) {
  track::Track t;
  t.id = id;
  t.class_id = class_id;
  t.score = score;
  t.detection = {box, score, class_id};
  t.confirmed = true;
  return t;
}

track::Track lost(track::Track t, int frames) {
  t.state = track::TrackState::kLost;
  t.frames_since_update = frames;
  return t;
}

// A frame filled with one grey level, so a snapshot tells which frame it came from.
cv::Mat grey_frame(int level) { return cv::Mat(kFrame, CV_8UC3, cv::Scalar(level, level, level)); }

class EventTrackerTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tilescope_events_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = store::Store::open(dir_.string());
  }
  void TearDown() override {
    events_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  EventTracker& make(config::EventSettings settings = {}, ZoneMap zones = {},
                     std::vector<float> class_thresholds = {}) {
    EventTrackerOptions o;
    o.camera_id = 7;
    o.camera_name = "gate";
    o.settings = std::move(settings);
    o.class_thresholds = std::move(class_thresholds);
    zones_ = std::move(zones);
    events_ = std::make_unique<EventTracker>(*store_, kClasses, o,
                                             [this](const EventNotice& n) { notices_.push_back(n); });
    return *events_;
  }
  // One frame at t = frame * 200 ms (5 fps).
  void feed(const std::vector<track::Track>& tracks, int level = 100) {
    events_->update(tracks, zones_, grey_frame(level), 1'000'000 + frame_++ * 200);
  }
  int count(Kind kind) const {
    return static_cast<int>(std::count_if(notices_.begin(), notices_.end(),
                                          [kind](const EventNotice& n) { return n.kind == kind; }));
  }
  // The grey level at the snapshot's top-left corner (away from the box).
  int snapshot_level(const store::EventRecord& e) const {
    const auto path = store_->snapshot_path(e.snapshot);
    if (!path) return -1;
    const cv::Mat jpeg = cv::imread(*path);
    return jpeg.empty() ? -1 : jpeg.at<cv::Vec3b>(2, 2)[0];
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<EventTracker> events_;
  ZoneMap zones_;
  std::vector<EventNotice> notices_;
  int frame_ = 0;
};

const detect::BoxXYXY kBox{100, 60, 140, 160};

// confirm 3 of 5: seen, missed, seen -> not yet; seen again -> confirmed (3 of the last 4).
TEST_F(EventTrackerTest, OpensAfterNOfMFrames) {
  make();
  const track::Track t = tracked(1, kPerson, 0.8f, kBox);
  feed({t});
  feed({lost(t, 1)});
  feed({t});
  EXPECT_TRUE(notices_.empty());
  feed({t});
  ASSERT_EQ(notices_.size(), 1u);
  const EventNotice& n = notices_[0];
  EXPECT_EQ(n.kind, Kind::kOpened);
  EXPECT_GT(n.event.id, 0);
  EXPECT_EQ(n.event.camera_id, 7);
  EXPECT_EQ(n.event.camera_name, "gate");
  EXPECT_EQ(n.event.label, "person");
  EXPECT_EQ(n.event.track_id, 1);
  EXPECT_FLOAT_EQ(static_cast<float>(n.event.score), 0.8f);
  EXPECT_EQ(n.event.start_ms, 1'000'000); // the track's first frame
  EXPECT_FALSE(n.event.end_ms.has_value());
  EXPECT_EQ(n.event.frame_width, kFrame.width);
  // Stored, open, with a snapshot that decodes as JPEG of the frame's size.
  const auto stored = store_->event(n.event.id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->end_ms.has_value());
  EXPECT_EQ(stored->snapshot, n.event.snapshot);
  EXPECT_NEAR(snapshot_level(*stored), 100, 3);
  EXPECT_EQ(events_->events_opened(), 1);
}

TEST_F(EventTrackerTest, BestScoreMustReachMinScore) {
  config::EventSettings s;
  s.min_score = 0.6;
  s.confirm_n = 1;
  s.confirm_m = 1;
  make(s);
  for (int i = 0; i < 4; ++i)
    feed({tracked(1, kPerson, 0.55f, kBox)});
  EXPECT_TRUE(notices_.empty()) << "confirmed but never scored 0.6";
  feed({tracked(1, kPerson, 0.65f, kBox)});
  ASSERT_EQ(count(Kind::kOpened), 1);
  // The camera's class threshold counts too: person at 0.7 needs 0.7.
  events_->stop();
  notices_.clear();
  make(s, {}, {0.7f, 0.35f, 0.35f});
  feed({tracked(2, kPerson, 0.65f, kBox)});
  EXPECT_TRUE(notices_.empty());
  feed({tracked(2, kPerson, 0.75f, kBox)});
  EXPECT_EQ(count(Kind::kOpened), 1);
}

TEST_F(EventTrackerTest, OnlyEventClassesAndConfirmedIdsMakeEvents) {
  config::EventSettings s;
  s.confirm_n = 1;
  s.confirm_m = 1;
  s.classes = {"car"};
  make(s);
  track::Track candidate = tracked(0, kCar, 0.9f, kBox); // ByteTracker candidate: no id yet
  feed({tracked(1, kPerson, 0.9f, kBox), candidate});
  EXPECT_TRUE(notices_.empty());
  feed({tracked(2, kCar, 0.9f, kBox)});
  ASSERT_EQ(count(Kind::kOpened), 1);
  EXPECT_EQ(notices_[0].event.label, "car");
  EXPECT_EQ(notices_[0].event.class_id, kCar);
  // No event classes at all: nothing.
  events_->stop();
  notices_.clear();
  config::EventSettings none = s;
  none.classes.clear();
  make(none);
  feed({tracked(3, kCar, 0.9f, kBox)});
  EXPECT_TRUE(notices_.empty());
}

// The snapshot follows the best score: a better frame 1 s later replaces it, a worse one
// does not; a better frame within the 1 s limit waits, and closing brings the snapshot up
// to the best frame seen.
TEST_F(EventTrackerTest, KeepsTheBestSnapshot) {
  config::EventSettings s;
  s.confirm_n = 1;
  s.confirm_m = 1;
  make(s);
  feed({tracked(1, kPerson, 0.6f, kBox)}, 50); // opens, snapshot of level 50
  ASSERT_EQ(count(Kind::kOpened), 1);
  const std::int64_t id = notices_[0].event.id;
  for (int i = 0; i < 5; ++i)
    feed({tracked(1, kPerson, 0.5f, kBox)}, 60); // worse: 1 s passes
  feed({tracked(1, kPerson, 0.9f, {110, 70, 150, 170})}, 150);
  auto e = store_->event(id);
  ASSERT_TRUE(e.has_value());
  EXPECT_NEAR(snapshot_level(*e), 150, 3);
  EXPECT_FLOAT_EQ(static_cast<float>(e->score), 0.9f);
  EXPECT_FLOAT_EQ(static_cast<float>(e->box.x1), 110);

  feed({tracked(1, kPerson, 0.95f, kBox)}, 200); // better, but 200 ms after the last encode
  EXPECT_NEAR(snapshot_level(*store_->event(id)), 150, 3);
  feed({tracked(1, kPerson, 0.7f, kBox)}, 210);
  feed({}); // the track ended
  e = store_->event(id);
  ASSERT_TRUE(e.has_value());
  EXPECT_NEAR(snapshot_level(*e), 200, 3) << "closing writes the best frame";
  EXPECT_FLOAT_EQ(static_cast<float>(e->score), 0.95f);
}

TEST_F(EventTrackerTest, ClosesWhenTheTrackEnds) {
  config::EventSettings s;
  s.confirm_n = 2;
  s.confirm_m = 3;
  make(s);
  const track::Track a = tracked(1, kPerson, 0.8f, kBox);
  const track::Track b = tracked(2, kPerson, 0.8f, {10, 10, 40, 90});
  feed({a, b});
  feed({a, b}); // both open at frame 1 (t = +200)
  ASSERT_EQ(count(Kind::kOpened), 2);
  feed({lost(a, 1), b}); // a lost: still held, still open
  feed({lost(a, 2), b});
  EXPECT_EQ(count(Kind::kClosed), 0);
  EXPECT_EQ(events_->open_events(), 2);
  feed({b}); // ByteTracker dropped a
  ASSERT_EQ(count(Kind::kClosed), 1);
  const EventNotice& closed = notices_.back();
  EXPECT_EQ(closed.event.track_id, 1);
  ASSERT_TRUE(closed.event.end_ms.has_value());
  EXPECT_EQ(*closed.event.end_ms, 1'000'000 + 200) << "ends when last seen";
  EXPECT_EQ(store_->event(closed.event.id)->end_ms, closed.event.end_ms);
  EXPECT_EQ(events_->open_event_of(1), nullptr);
  ASSERT_NE(events_->open_event_of(2), nullptr);

  // stop() closes the rest; a second stop() does nothing.
  events_->stop();
  EXPECT_EQ(count(Kind::kClosed), 2);
  events_->stop();
  EXPECT_EQ(count(Kind::kClosed), 2);
  store::EventFilter open_only;
  open_only.open = true;
  EXPECT_EQ(store_->events(open_only).total, 0);
  // A track that comes back with the same id after it ended is a new event.
  feed({a});
  EXPECT_EQ(count(Kind::kOpened), 2);
  feed({a});
  EXPECT_EQ(count(Kind::kOpened), 3);
}

// Zones entered, in order of entry, from the track's first frame; an entry is written
// and notified at once; the same zone twice is recorded once.
TEST_F(EventTrackerTest, RecordsZonesInOrderOfEntry) {
  config::EventSettings s;
  s.confirm_n = 2;
  s.confirm_m = 2;
  const config::Polygon left{{0, 0}, {0.5, 0}, {0.5, 1}, {0, 1}};
  const config::Polygon right{{0.5, 0}, {1, 0}, {1, 1}, {0.5, 1}};
  make(s, ZoneMap({{"west", left}, {"east", right}}, {}, kFrame));
  // Bottom centres: x 260 (east), then 60 (west), then 260 again.
  feed({tracked(1, kPerson, 0.8f, {240, 60, 280, 160})});
  feed({tracked(1, kPerson, 0.8f, {240, 60, 280, 160})});
  ASSERT_EQ(count(Kind::kOpened), 1);
  EXPECT_EQ(notices_[0].event.zones, std::vector<std::string>{"east"});
  feed({tracked(1, kPerson, 0.8f, {40, 60, 80, 160})});
  ASSERT_EQ(count(Kind::kUpdated), 1) << "a zone entry is notified at once";
  EXPECT_EQ(notices_.back().event.zones, (std::vector<std::string>{"east", "west"}));
  EXPECT_EQ(store_->event(notices_[0].event.id)->zones, (std::vector<std::string>{"east", "west"}));
  feed({tracked(1, kPerson, 0.8f, {240, 60, 280, 160})});
  EXPECT_EQ(count(Kind::kUpdated), 1);
  EXPECT_EQ(events_->open_event_of(1)->zones, (std::vector<std::string>{"east", "west"}));
}

TEST_F(EventTrackerTest, ScoreUpdatesAreRateLimited) {
  config::EventSettings s;
  s.confirm_n = 1;
  s.confirm_m = 1;
  make(s);
  float score = 0.6f;
  for (int i = 0; i < 11; ++i) { // 2 s at 5 fps, a better score every frame
    feed({tracked(1, kPerson, score, kBox)});
    score += 0.02f;
  }
  EXPECT_EQ(count(Kind::kOpened), 1);
  // Updates at most once a second: after +1000 and +2000 ms.
  EXPECT_EQ(count(Kind::kUpdated), 2);
}

TEST_F(EventTrackerTest, BadConfirmationSettingsAreRefused) {
  config::EventSettings s;
  s.confirm_n = 4;
  s.confirm_m = 3;
  EXPECT_THROW(make(s), Error);
}

} // namespace
} // namespace tilescope::pipeline
