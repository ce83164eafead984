// The email sink against a real SMTP server (tools/smtp_receiver.py, aiosmtpd) on
// 127.0.0.1: plain, STARTTLS and implicit TLS, AUTH, several recipients; the message
// parsed back with Python's email package.
#include "alerts_test_util.h"
#include "sink.h"
#include "test_servers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tilescope::alerts {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace testing;

json email_options(const SmtpServer& server) {
  return json{{"name", "mail"},
              {"type", "email"},
              {"smtp_url", server.url()},
              {"from", "nvr@example.com"},
              {"to", {"guard@example.com", "boss@example.com"}}};
}

OutgoingAlert alert_for(const std::string& id, const std::string& jpeg_path,
                        const std::string& camera = "gate") {
  const bool has = !jpeg_path.empty();
  return {id, make_payload(AlertType::kNew, id, rule(), event(42, camera), has, "https://nvr.example.com"),
          jpeg_path};
}

TEST(SmtpEmail, TheMailArrivesWithTheSnapshotAttachedAndTheEventsFields) {
  SmtpServer server;
  TempDir dir;
  const std::string jpeg = fake_jpeg(40000, 7);
  write_file(dir.file("snap.jpg"), jpeg);
  auto sink = make_sink(sink_from(email_options(server)));
  const SendResult result =
      sink->send(alert_for("6f1c8c1e-0000-4000-8000-000000000001", dir.file("snap.jpg")));
  ASSERT_TRUE(result.ok) << result.error;

  ASSERT_TRUE(server.wait_for_messages(1, 10s));
  const auto message = server.messages().front();
  EXPECT_EQ(message.meta["mail_from"], "nvr@example.com");
  EXPECT_EQ(message.meta["rcpt_tos"], (json{"guard@example.com", "boss@example.com"}));
  const json parsed = parse_mime(message.raw);
  EXPECT_EQ(parsed["defects"], json::array());
  EXPECT_EQ(parsed["headers"]["X-Tilescope-Delivery-Id"], "6f1c8c1e-0000-4000-8000-000000000001");
  EXPECT_EQ(parsed["headers"]["Subject"], "[tilescope] critical: knife on gate");
  EXPECT_EQ(parsed["headers"]["From"], "nvr@example.com");
  EXPECT_THAT(parsed["text"].get<std::string>(), HasSubstr("knife (score 0.91)"));
  EXPECT_THAT(parsed["text"].get<std::string>(), HasSubstr("https://nvr.example.com/#/events/42"));
  EXPECT_THAT(parsed["html"].get<std::string>(), HasSubstr("https://nvr.example.com/#/events/42"));
  ASSERT_EQ(parsed["parts"].size(), 2u);
  EXPECT_EQ(parsed["parts"][1]["disposition"], "attachment");
  EXPECT_EQ(parsed["parts"][1]["filename"], "event-42.jpg");
  EXPECT_EQ(parsed["parts"][1]["content_type"], "image/jpeg");
  EXPECT_EQ(parsed["parts"][1]["sha256"], sha256_hex(jpeg)) << "the JPEG must arrive byte for byte";
  EXPECT_EQ(parsed["parts"][0]["sha256"], sha256_hex(jpeg));
}

TEST(SmtpEmail, StartTlsWithAuth) {
  SmtpServer server({.tls = SmtpOptions::Tls::kStartTls, .auth = "alerts:pa55word"});
  json options = email_options(server);
  options["starttls"] = true;
  options["tls_verify"] = false; // the test's self-signed certificate
  options["username"] = "alerts";
  options["password"] = "pa55word";
  auto sink = make_sink(sink_from(options));
  const SendResult result = sink->send(alert_for("d-starttls", ""));
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_TRUE(server.wait_for_messages(1, 10s));
  EXPECT_EQ(server.messages()[0].meta["tls"], true);
  EXPECT_EQ(server.messages()[0].meta["auth_login"], "alerts");
}

TEST(SmtpEmail, ImplicitTlsWithAuth) {
  SmtpServer server({.tls = SmtpOptions::Tls::kImplicit, .auth = "alerts:pa55word"});
  json options = email_options(server);
  options["tls_verify"] = false;
  options["username"] = "alerts";
  options["password"] = "pa55word";
  auto sink = make_sink(sink_from(options));
  const SendResult result = sink->send(alert_for("d-smtps", ""));
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_TRUE(server.wait_for_messages(1, 10s));
  EXPECT_EQ(server.messages()[0].meta["tls"], true);
}

TEST(SmtpEmail, CertificatesAreVerifiedUnlessTurnedOff) {
  SmtpServer server({.tls = SmtpOptions::Tls::kImplicit, .auth = ""});
  auto sink = make_sink(sink_from(email_options(server)));
  const SendResult result = sink->send(alert_for("d-verify", ""));
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("SMTP smtps://127.0.0.1:"));
  EXPECT_TRUE(server.messages().empty());
}

TEST(SmtpEmail, AWrongPasswordFailsAndTheErrorDoesNotShowIt) {
  SmtpServer server({.tls = SmtpOptions::Tls::kStartTls, .auth = "alerts:right"});
  json options = email_options(server);
  options["starttls"] = true;
  options["tls_verify"] = false;
  options["username"] = "alerts";
  options["password"] = "wr0ng-s3cret";
  auto sink = make_sink(sink_from(options));
  const SendResult result = sink->send(alert_for("d-auth", ""));
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, Not(HasSubstr("wr0ng-s3cret")));
  EXPECT_TRUE(server.messages().empty());
}

TEST(SmtpEmail, NoServerIsAnErrorAndTheNextMailsGoOnOneSession) {
  SmtpServer server;
  const int port = server.port();
  server.stop();
  auto sink = make_sink(sink_from(email_options(server)));
  const SendResult down = sink->send(alert_for("d-down", ""));
  EXPECT_FALSE(down.ok);
  EXPECT_THAT(down.error, HasSubstr("127.0.0.1"));

  server.start();
  ASSERT_EQ(server.port(), port);
  for (int i = 0; i < 3; ++i) {
    const SendResult result = sink->send(alert_for("d-" + std::to_string(i), "", "cam" + std::to_string(i)));
    ASSERT_TRUE(result.ok) << result.error;
  }
  ASSERT_TRUE(server.wait_for_messages(3, 10s));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(parse_mime(server.messages()[i].raw)["headers"]["X-Tilescope-Delivery-Id"],
              "d-" + std::to_string(i));
}

} // namespace
} // namespace tilescope::alerts
