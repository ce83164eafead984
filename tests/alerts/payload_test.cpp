#include "alerts_test_util.h"
#include "email_message.h"
#include "test_servers.h"
#include "tilescope/alerts/alert_payload.h"
#include "webhook_signature.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tilescope::alerts {
namespace {

using nlohmann::json;
using testing::event;
using testing::rule;

class UtcTest : public ::testing::Test {
protected:
  void SetUp() override {
    setenv("TZ", "UTC0", 1);
    tzset();
  }
};

using AlertPayload = UtcTest;

TEST_F(AlertPayload, SchemaVersionOneCarriesTheEventRuleAndLinks) {
  const json p =
      make_payload(AlertType::kNew, "d-1", rule(), event(42, "gate"), true, "https://nvr.example.com");
  EXPECT_EQ(p["version"], 1);
  EXPECT_EQ(p["type"], "new");
  EXPECT_EQ(p["delivery_id"], "d-1");
  EXPECT_EQ(p["rule"], (json{{"name", "knife at gate"}, {"severity", "critical"}}));
  EXPECT_EQ(p["event"]["id"], 42);
  EXPECT_EQ(p["event"]["camera"], "gate");
  EXPECT_EQ(p["event"]["camera_id"], 3);
  EXPECT_EQ(p["event"]["label"], "knife");
  EXPECT_EQ(p["event"]["class_id"], 43);
  EXPECT_DOUBLE_EQ(p["event"]["score"].get<double>(), 0.91);
  EXPECT_EQ(p["event"]["start_ms"], 1715026385120);
  EXPECT_TRUE(p["event"]["end_ms"].is_null());
  EXPECT_DOUBLE_EQ(p["event"]["duration_s"].get<double>(), 1.5);
  EXPECT_EQ(p["event"]["box"], (json{100, 120, 140, 200}));
  EXPECT_EQ(p["event"]["frame"], (json{3840, 2160}));
  EXPECT_EQ(p["event"]["zones"], (json{"door", "yard"}));
  EXPECT_EQ(p["event"]["track_id"], 7);
  EXPECT_EQ(p["time"], "2024-05-06T20:13:05.120+00:00");
  EXPECT_EQ(p["time_local"], "2024-05-06 20:13:05 UTC");
  EXPECT_EQ(p["url"], "https://nvr.example.com/#/events/42");
  EXPECT_EQ(p["snapshot_url"], "https://nvr.example.com/api/v1/events/42/snapshot.jpg");
  EXPECT_EQ(p["has_snapshot"], true);
}

TEST_F(AlertPayload, NoBaseUrlMeansNoLinksAndAnEndedEventHasItsEnd) {
  store::EventRecord e = event(42, "gate");
  e.end_ms = e.start_ms + 12000;
  const json p = make_payload(AlertType::kEnd, "d-2", rule(), e, false, "");
  EXPECT_EQ(p["type"], "end");
  EXPECT_TRUE(p["url"].is_null());
  EXPECT_TRUE(p["snapshot_url"].is_null());
  EXPECT_EQ(p["event"]["end_ms"], e.start_ms + 12000);
  EXPECT_DOUBLE_EQ(p["event"]["duration_s"].get<double>(), 12.0);
}

TEST_F(AlertPayload, LocalTimeFollowsTheTimeZone) {
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  tzset();
  EXPECT_EQ(iso8601_local(1715026385120), "2024-05-06T22:13:05.120+02:00");
  EXPECT_EQ(format_local_time(1715026385120), "2024-05-06 22:13:05 CEST");
  EXPECT_EQ(iso8601_local(1705350600000), "2024-01-15T21:30:00.000+01:00");
}

TEST_F(AlertPayload, TemplatesRenderPlaceholdersAndLiteralBraces) {
  const json p = make_payload(AlertType::kNew, "d-1", rule(), event(42, "gate"), true, "");
  EXPECT_EQ(render_template(
                "[{severity}] {label} on {camera} ({score}) {{x}} #{event_id} {zones} {rule} {time}", p),
            "[critical] knife on gate (0.91) {x} #42 door, yard knife at gate 2024-05-06 20:13:05 UTC");
  EXPECT_FALSE(template_error("{camera} {{literal}}"));
  EXPECT_THAT(*template_error("{camra}"), ::testing::HasSubstr("unknown placeholder {camra}"));
  EXPECT_THAT(*template_error("{camera"), ::testing::HasSubstr("unclosed {"));
  EXPECT_THAT(*template_error("camera}"), ::testing::HasSubstr("unmatched }"));
}

TEST(HmacSignature, MatchesTheRfc4231TestVector) {
  // RFC 4231, test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?").rfind("sha256=", 0), 0u);
}

using EmailMime = UtcTest;

TEST_F(EmailMime, PythonsParserSeesTextHtmlInlineImageAndAttachment) {
  EmailSinkOptions options;
  options.from = "nvr@example.com";
  options.to = {"a@example.com", "b@example.com"};
  const json p = make_payload(AlertType::kNew, "1b4e28ba-2fa1-41d2-883f-0016d3cca427", rule(),
                              event(42, "gate"), true, "https://nvr.example.com");
  const std::string jpeg = testing::fake_jpeg(5000, 1);
  const EmailMessage message = compose_alert_email(options, p, jpeg, 1715026385120);
  const json parsed = testing::parse_mime(to_mime(message, "seed"));

  EXPECT_EQ(parsed["structure"], "multipart/mixed(multipart/alternative(text/plain,multipart/related(text/"
                                 "html,image/jpeg)),image/jpeg)");
  EXPECT_EQ(parsed["defects"], json::array());
  EXPECT_EQ(parsed["headers"]["Subject"], "[tilescope] critical: knife on gate");
  EXPECT_EQ(parsed["headers"]["To"], "a@example.com, b@example.com");
  EXPECT_EQ(parsed["headers"]["X-Tilescope-Delivery-Id"], "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
  EXPECT_EQ(parsed["headers"]["Date"], "Mon, 06 May 2024 20:13:05 +0000");
  const std::string text = parsed["text"];
  for (const char* expected : {"gate", "knife (score 0.91)", "2024-05-06 20:13:05 UTC", "door, yard",
                               "https://nvr.example.com/#/events/42", "knife at gate (critical)"})
    EXPECT_THAT(text, ::testing::HasSubstr(expected));
  ASSERT_EQ(parsed["parts"].size(), 2u);
  const json& inline_image = parsed["parts"][0];
  const json& attachment = parsed["parts"][1];
  EXPECT_EQ(inline_image["disposition"], "inline");
  const std::string cid = inline_image["content_id"];
  EXPECT_THAT(parsed["html"].get<std::string>(),
              ::testing::HasSubstr("src=\"cid:" + cid.substr(1, cid.size() - 2) + "\""));
  EXPECT_EQ(attachment["disposition"], "attachment");
  EXPECT_EQ(attachment["filename"], "event-42.jpg");
  EXPECT_EQ(attachment["sha256"], testing::sha256_hex(jpeg));
  EXPECT_EQ(inline_image["sha256"], testing::sha256_hex(jpeg));
}

TEST_F(EmailMime, WithoutASnapshotThereAreNoImagePartsAndNonAsciiSurvives) {
  EmailSinkOptions options;
  options.from = "nvr@example.com";
  options.to = {"a@example.com"};
  options.subject = "{label} an der {camera}";
  const json p = make_payload(AlertType::kNew, "d", rule(), event(5, "Tür<1>", "Messer"), false, "");
  const json parsed = testing::parse_mime(to_mime(compose_alert_email(options, p, "", 0), "seed"));
  EXPECT_EQ(parsed["structure"], "multipart/mixed(multipart/alternative(text/plain,text/html))");
  EXPECT_EQ(parsed["headers"]["Subject"], "Messer an der Tür<1>");
  EXPECT_THAT(parsed["html"].get<std::string>(), ::testing::HasSubstr("Tür&lt;1&gt;"));
  EXPECT_EQ(parsed["parts"].size(), 0u);
}

} // namespace
} // namespace tilescope::alerts
