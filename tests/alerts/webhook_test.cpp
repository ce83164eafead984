// The webhook sink against a real HTTP receiver (tools/webhook_receiver.py), which
// checks the signature with Python's hmac: an implementation independent of ours.
#include "alerts_test_util.h"
#include "sink.h"
#include "test_servers.h"
#include "tilescope/alerts/alert_service.h"
#include "tilescope/alerts/alerts_api.h"
#include "webhook_signature.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tilescope::alerts {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace testing;

OutgoingAlert alert_for(const std::string& id, const std::string& jpeg_path = "") {
  return {id, make_payload(AlertType::kNew, id, rule(), event(42, "gate"), !jpeg_path.empty(), ""),
          jpeg_path};
}

TEST(WebhookSink, ASignedJsonPostArrivesAndTheSignatureVerifies) {
  WebhookReceiver receiver("sh4red-secret");
  auto sink = make_sink(sink_from({{"name", "hook"},
                                   {"type", "webhook"},
                                   {"url", receiver.url()},
                                   {"secret", "sh4red-secret"},
                                   {"headers", {{"Authorization", "Bearer t0ken"}}}}));
  const SendResult result = sink->send(alert_for("d-hook-1"));
  ASSERT_TRUE(result.ok) << result.error;
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  const json& request = requests[0];
  EXPECT_EQ(request["signature_valid"], true) << "Python's hmac disagrees with X-Tilescope-Signature";
  const std::string body = request["body"];
  EXPECT_EQ(request["headers"]["x-tilescope-signature"], "sha256=" + hmac_sha256_hex("sh4red-secret", body));
  EXPECT_EQ(request["headers"]["x-tilescope-delivery-id"], "d-hook-1");
  EXPECT_EQ(request["headers"]["x-tilescope-event"], "new");
  EXPECT_EQ(request["headers"]["content-type"], "application/json");
  EXPECT_EQ(request["headers"]["authorization"], "Bearer t0ken");
  EXPECT_EQ(request["path"], "/hook");
  const json payload = json::parse(body);
  EXPECT_EQ(payload["version"], 1);
  EXPECT_EQ(payload["delivery_id"], "d-hook-1");
  EXPECT_EQ(payload["event"]["camera"], "gate");
  EXPECT_FALSE(payload.contains("snapshot"));
}

TEST(WebhookSink, AWrongSecretDoesNotVerify) {
  WebhookReceiver receiver("the-real-secret");
  auto sink = make_sink(
      sink_from({{"name", "hook"}, {"type", "webhook"}, {"url", receiver.url()}, {"secret", "guess"}}));
  ASSERT_TRUE(sink->send(alert_for("d")).ok);
  EXPECT_EQ(receiver.requests().at(0)["signature_valid"], false);
}

TEST(WebhookSink, ANon2xxAnswerIsAnErrorWithTheStatusAndTheSnapshotCanRideAlong) {
  WebhookReceiver receiver("", "500");
  TempDir dir;
  const std::string jpeg = fake_jpeg(3000, 3);
  write_file(dir.file("snap.jpg"), jpeg);
  auto sink = make_sink(sink_from(
      {{"name", "hook"}, {"type", "webhook"}, {"url", receiver.url()}, {"include_snapshot", true}}));
  const SendResult first = sink->send(alert_for("d-1", dir.file("snap.jpg")));
  EXPECT_FALSE(first.ok);
  EXPECT_THAT(first.error, HasSubstr("HTTP 500"));
  const SendResult second = sink->send(alert_for("d-1", dir.file("snap.jpg")));
  ASSERT_TRUE(second.ok) << second.error;
  const json payload = json::parse(receiver.requests().at(1)["body"].get<std::string>());
  EXPECT_EQ(payload["snapshot"]["content_type"], "image/jpeg");
  EXPECT_EQ(payload["snapshot"]["base64"].get<std::string>().size(), (jpeg.size() + 2) / 3 * 4);
  EXPECT_FALSE(receiver.requests().at(1)["headers"].contains("x-tilescope-signature"))
      << "no secret, no signature";
}

TEST(WebhookSink, NoAnswerWithinTheTimeoutIsAnError) {
  WebhookReceiver receiver("", "", /*delay_s=*/3);
  auto sink = make_sink(
      sink_from({{"name", "hook"}, {"type", "webhook"}, {"url", receiver.url()}, {"timeout_s", 0.5}}));
  const auto started = std::chrono::steady_clock::now();
  const SendResult result = sink->send(alert_for("d"));
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("imeout"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2800ms);
}

// Through the service: 503 twice, then 200: the outbox retries until the 2xx.
TEST(DeliveryWebhook, RetriedUntilA2xxThenSent) {
  WebhookReceiver receiver("s", "503,503");
  TempDir dir;
  const AlertsConfig config = config_from(
      {{"sinks", {{{"name", "hook"}, {"type", "webhook"}, {"url", receiver.url()}, {"secret", "s"}}}},
       {"rules", {{{"name", "all"}, {"sinks", {"hook"}}}}},
       {"outbox", {{"backoff_initial_s", 0.1}, {"backoff_max_s", 0.2}}}});
  auto service = AlertService::start(config, dir.file("tilescope.db"));
  service->on_event(EventKind::kOpened, event(1, "gate"), "");
  ASSERT_TRUE(service->wait_idle(20s));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u);
  const auto page = service->outbox().list({});
  ASSERT_EQ(page.deliveries.size(), 1u);
  const Delivery& d = page.deliveries[0];
  EXPECT_EQ(d.state, DeliveryState::kSent);
  EXPECT_EQ(d.attempts, 3);
  for (const json& request : requests) {
    EXPECT_EQ(request["headers"]["x-tilescope-delivery-id"], d.id) << "the same id on every attempt";
    EXPECT_EQ(request["signature_valid"], true);
  }
}

TEST(WebhookSink, SendTestAlertThroughTheApi) {
  WebhookReceiver receiver("s");
  TempDir dir;
  const AlertsConfig config = config_from(
      {{"sinks", {{{"name", "hook"}, {"type", "webhook"}, {"url", receiver.url()}, {"secret", "s"}}}}});
  auto service = AlertService::start(config, dir.file("tilescope.db"));
  const ApiResponse r = AlertsApi(*service).handle("POST", "/sinks/hook/test", "", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["ok"], true) << r.body.dump();
  ASSERT_EQ(receiver.requests().size(), 1u);
  const json request = receiver.requests()[0];
  EXPECT_EQ(request["headers"]["x-tilescope-event"], "test");
  EXPECT_EQ(request["headers"]["x-tilescope-delivery-id"], r.body["delivery_id"]);
  EXPECT_EQ(request["signature_valid"], true);
  EXPECT_EQ(service->outbox().counts().pending + service->outbox().counts().sent, 0)
      << "tests bypass the outbox";
}

} // namespace
} // namespace tilescope::alerts
