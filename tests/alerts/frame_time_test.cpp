// The time of the frame that fired a rule travels with the alert ("frame_ms" in the
// payload, X-Tilescope-Frame-Time and X-Tilescope-Event-Id in the e-mail), so a receiver
// can measure the whole path from the camera frame to its inbox.
#include "alerts_test_util.h"
#include "email_message.h"
#include "rule_engine.h"
#include "test_servers.h"
#include "tilescope/alerts/alert_service.h"

#include <gtest/gtest.h>

namespace tilescope::alerts {
namespace {

using nlohmann::json;
using namespace testing;

TEST(FrameTime, AFiringOnAnEventNoticeCarriesItsFramesTimeOneOnTimePassingDoesNot) {
  RuleEngine engine;
  Rule at_once = rule("at once");
  Rule after_two_s = rule("after 2 s");
  after_two_s.min_duration_s = 2;
  engine.set_rules({at_once, after_two_s});
  store::EventRecord e = event(1, "gate", "person");
  e.start_ms = 1000;
  e.updated_ms = 1400; // the confirming frame was decoded at 1400
  const auto opened = engine.on_event(EventKind::kOpened, e, "", 1450);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].rule.name, "at once");
  EXPECT_EQ(opened[0].frame_ms, std::optional<std::int64_t>(1400));
  EXPECT_EQ(opened[0].fired_ms, 1450);
  const auto ticked = engine.tick(3100);
  ASSERT_EQ(ticked.size(), 1u);
  EXPECT_EQ(ticked[0].rule.name, "after 2 s");
  EXPECT_FALSE(ticked[0].frame_ms.has_value());
}

TEST(FrameTime, ThePayloadAndTheMailCarryIt) {
  const json with = make_payload(AlertType::kNew, "d-1", rule(), event(42, "gate"), false, "", 1715026386620);
  EXPECT_EQ(with["frame_ms"], 1715026386620);
  EXPECT_TRUE(
      make_payload(AlertType::kTest, "d-2", rule(), event(0, "test"), false, "")["frame_ms"].is_null());

  const SinkConfig sink = sink_from(
      {{"name", "m"}, {"type", "email"}, {"smtp_url", "smtp://x"}, {"from", "a@b"}, {"to", {"c@d"}}});
  const EmailMessage mail = compose_alert_email(std::get<EmailSinkOptions>(sink.options), with, "", 0);
  const std::string mime = to_mime(mail, "seed");
  EXPECT_NE(mime.find("\r\nX-Tilescope-Event-Id: 42\r\n"), std::string::npos) << mime.substr(0, 600);
  EXPECT_NE(mime.find("\r\nX-Tilescope-Frame-Time: 1715026386620\r\n"), std::string::npos);
}

TEST(FrameTime, ItArrivesAtTheSmtpServerFromOnEvent) {
  SmtpServer server;
  TempDir dir;
  const AlertsConfig config = config_from({{"sinks",
                                            {{{"name", "mail"},
                                              {"type", "email"},
                                              {"smtp_url", server.url()},
                                              {"from", "nvr@example.com"},
                                              {"to", {"guard@example.com"}}}}},
                                           {"rules", {{{"name", "all"}, {"sinks", {"mail"}}}}}});
  auto service = AlertService::start(config, dir.file("tilescope.db"));
  store::EventRecord e = event(9, "gate", "person");
  service->on_event(EventKind::kOpened, e, "");
  ASSERT_TRUE(server.wait_for_messages(1, 30s));
  const json parsed = parse_mime(server.messages()[0].raw);
  EXPECT_EQ(parsed["headers"]["X-Tilescope-Frame-Time"], std::to_string(e.updated_ms));
  EXPECT_EQ(parsed["headers"]["X-Tilescope-Event-Id"], "9");
}

} // namespace
} // namespace tilescope::alerts
