// The MQTT sink against a real mosquitto started by the test, in Frigate's topic layout.
#include "alerts_test_util.h"
#include "sink.h"
#include "test_servers.h"
#include "tilescope/alerts/alert_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tilescope::alerts {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace testing;

json mqtt_sink(int port, const std::string& client_id = "tilescope-test") {
  return {{"name", "ha"}, {"type", "mqtt"},         {"host", "127.0.0.1"},
          {"port", port}, {"client_id", client_id}, {"timeout_s", 5}};
}

TEST(MqttSink, EventsCountsSnapshotAndAvailabilityArriveOnFrigatesTopics) {
  Mosquitto broker;
  MqttSubscriber subscriber(broker.port(), "tilescope/#");
  TempDir dir;
  const std::string jpeg = fake_jpeg(20000, 5);
  write_file(dir.file("snap.jpg"), jpeg);
  const AlertsConfig config =
      config_from({{"sinks", {mqtt_sink(broker.port())}},
                   {"rules", {{{"name", "knives"}, {"classes", {"knife"}}, {"sinks", {"ha"}}}}}});
  auto service = AlertService::start(config, dir.file("tilescope.db"));
  ASSERT_TRUE(subscriber.wait_for("tilescope/available", "online", 10s));

  service->on_event(EventKind::kOpened, event(42, "gate", "knife"), dir.file("snap.jpg"));
  service->on_event(EventKind::kOpened, event(43, "gate", "person"), "");
  ASSERT_TRUE(service->wait_idle(10s));
  ASSERT_TRUE(subscriber.wait_for("tilescope/events", "", 5s));
  ASSERT_TRUE(subscriber.wait_for("tilescope/gate/knife/snapshot", "", 5s));
  ASSERT_TRUE(subscriber.wait_for("tilescope/gate/knife", "1", 5s));
  ASSERT_TRUE(subscriber.wait_for("tilescope/gate/person", "1", 5s))
      << "counts cover every event, not only alerts";

  service->on_event(
      EventKind::kClosed,
      [] {
        auto e = event(42, "gate", "knife");
        e.end_ms = e.start_ms + 5000;
        return e;
      }(),
      "");
  ASSERT_TRUE(subscriber.wait_for("tilescope/gate/knife", "0", 5s));

  std::vector<MqttSubscriber::Message> events, snapshots;
  for (const auto& m : subscriber.messages()) {
    if (m.topic == "tilescope/events") events.push_back(m);
    if (m.topic == "tilescope/gate/knife/snapshot") snapshots.push_back(m);
  }
  ASSERT_EQ(events.size(), 1u) << "one alert: only the knife rule fired";
  const json payload = json::parse(events[0].payload);
  EXPECT_EQ(payload["version"], 1);
  EXPECT_EQ(payload["type"], "new");
  EXPECT_EQ(payload["event"]["id"], 42);
  EXPECT_EQ(payload["delivery_id"], service->outbox().list({}).deliveries.at(0).id);
  ASSERT_EQ(snapshots.size(), 1u);
  EXPECT_EQ(sha256_hex(snapshots[0].payload), sha256_hex(jpeg));

  service->stop();
  EXPECT_TRUE(subscriber.wait_for("tilescope/available", "offline", 10s)) << "a clean stop says offline";
}

TEST(MqttSink, TheLastWillSaysOfflineWhenTheProcessDiesWithoutGoodbye) {
  Mosquitto broker;
  MqttSubscriber subscriber(broker.port(), "tilescope/available");
  TempDir dir;
  Process child(
      {ALERTS_TEST_CHILD, "--db", dir.file("tilescope.db"), "--sink-json", mqtt_sink(broker.port()).dump()},
      dir.file("child.log"));
  ASSERT_TRUE(subscriber.wait_for("tilescope/available", "online", 15s)) << read_file(dir.file("child.log"));
  const auto before = subscriber.messages().size();
  child.kill_now();
  EXPECT_TRUE(subscriber.wait_for(
      [&](const std::vector<MqttSubscriber::Message>& messages) {
        for (std::size_t i = before; i < messages.size(); ++i)
          if (messages[i].payload == "offline") return true;
        return false;
      },
      15s))
      << "the broker publishes the will when the connection drops";
}

TEST(MqttSink, ABrokerThatComesUpLaterIsConnectedToAndTheAlertThenSent) {
  Mosquitto broker;
  const int port = broker.port();
  broker.stop();
  auto sink = make_sink(sink_from(mqtt_sink(port, "late")));
  const OutgoingAlert alert{"d-late",
                            make_payload(AlertType::kNew, "d-late", rule(), event(1, "gate"), false, ""), ""};
  const SendResult down = sink->send(alert);
  EXPECT_FALSE(down.ok);
  EXPECT_THAT(down.error, HasSubstr("not connected"));

  broker.start();
  if (broker.port() != port) GTEST_SKIP() << "the port was taken meanwhile";
  MqttSubscriber subscriber(port, "tilescope/events");
  ASSERT_TRUE(wait_until([&] { return sink->status().value("connected", false); }, 40s))
      << sink->status().dump();
  const SendResult up = sink->send(alert);
  ASSERT_TRUE(up.ok) << up.error;
  EXPECT_TRUE(subscriber.wait_for("tilescope/events", "", 5s));

  // A connection lost later is re-established by libmosquitto's loop.
  broker.stop();
  ASSERT_TRUE(wait_until([&] { return !sink->status().value("connected", true); }, 10s));
  EXPECT_FALSE(sink->send(alert).ok);
  broker.start();
  if (broker.port() != port) GTEST_SKIP() << "the port was taken meanwhile";
  ASSERT_TRUE(wait_until([&] { return sink->status().value("connected", false); }, 40s))
      << sink->status().dump();
  EXPECT_TRUE(sink->send(alert).ok);
  sink->stop();
}

} // namespace
} // namespace tilescope::alerts
