// The WebSocket send queue: newest frame per camera, events never dropped silently,
// order events > status > frames, round-robin over cameras, subscriptions.
#include "http/outbound_queue.h"

#include <gtest/gtest.h>

namespace tilescope::server {
namespace {

std::shared_ptr<const std::string> text(const std::string& s) {
  return std::make_shared<const std::string>(s);
}

// Pops everything, as "kind:message" strings.
std::vector<std::string> drain(OutboundQueue& q) {
  std::vector<std::string> out;
  while (auto item = q.pop()) {
    const char* kind = item->kind == OutboundQueue::Kind::kEvent    ? "event"
                       : item->kind == OutboundQueue::Kind::kStatus ? "status"
                                                                    : "frame";
    std::string line = kind; // appended, not kind + ":" + ...: GCC 12 -Wrestrict false positive
    line += ':';
    line += *item->message;
    out.push_back(std::move(line));
  }
  return out;
}

TEST(OutboundQueue, KeepsNewestFramePerCameraAndEveryEvent) {
  OutboundQueue q(100);
  EXPECT_FALSE(q.push_frame(1, text("c1-f1")));
  EXPECT_TRUE(q.push_frame(1, text("c1-f2"))); // replaced: a dropped frame
  EXPECT_FALSE(q.push_frame(2, text("c2-f1")));
  q.push_status(text("s1"));
  q.push_status(text("s2"));
  EXPECT_TRUE(q.push_event(text("e1")));
  EXPECT_TRUE(q.push_event(text("e2")));
  EXPECT_EQ(drain(q),
            (std::vector<std::string>{"event:e1", "event:e2", "status:s2", "frame:c1-f2", "frame:c2-f1"}));
  EXPECT_TRUE(q.empty());
}

TEST(OutboundQueue, FramesRoundRobinOverCameras) {
  OutboundQueue q(10);
  q.push_frame(1, text("a1"));
  q.push_frame(2, text("b1"));
  q.push_frame(3, text("c1"));
  EXPECT_EQ(*q.pop()->message, "a1");
  q.push_frame(1, text("a2")); // camera 1 again before 2 and 3 had their turn
  EXPECT_EQ(drain(q), (std::vector<std::string>{"frame:b1", "frame:c1", "frame:a2"}));
}

TEST(OutboundQueue, EventOverflowIsReportedNotHidden) {
  OutboundQueue q(3);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(q.push_event(text(std::string("e").append(std::to_string(i)))));
  EXPECT_FALSE(q.push_event(text("e3")));
  EXPECT_EQ(drain(q).size(), 3u);
  EXPECT_TRUE(q.push_event(text("e4")));
}

TEST(OutboundQueue, SubscriptionFiltersFrames) {
  OutboundQueue q(10);
  q.push_frame(1, text("a"));
  q.push_frame(2, text("b"));
  q.subscribe(std::set<std::int64_t>{2});
  EXPECT_FALSE(q.push_frame(1, text("a2")));
  q.push_event(text("e")); // events are not filtered
  EXPECT_EQ(drain(q), (std::vector<std::string>{"event:e", "frame:b"}));
  q.subscribe(std::nullopt);
  q.push_frame(1, text("a3"));
  EXPECT_EQ(drain(q), (std::vector<std::string>{"frame:a3"}));
}

} // namespace
} // namespace tilescope::server
