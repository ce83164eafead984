// The `alerts:` section as the user writes it in tilescope.yml, through the config
// module (config::parse_config) into parse_alerts_config: secrets and names made of
// digits keep the exact text written (`password: 0123` is "0123", not 123), while
// numeric options written the same way still read as numbers.
#include "alerts_test_util.h"
#include "sink.h"
#include "test_servers.h"
#include "tilescope/alerts/alerts_config.h"
#include "tilescope/config/config.h"

#include <cstdlib>
#include <gtest/gtest.h>

namespace tilescope::alerts {
namespace {

using namespace testing;

AlertsConfig alerts_of(const std::string& yaml) {
  const config::Config config = config::parse_config(yaml, "alerts.yml");
  std::vector<config::ConfigIssue> issues;
  AlertsConfig alerts = parse_alerts_config(config.alerts, issues);
  for (const auto& issue : issues)
    ADD_FAILURE() << issue.path << ": " << issue.message;
  return alerts;
}

TEST(AlertsYaml, DigitOnlyAndLeadingZeroSecretsKeepTheTextWritten) {
  ::setenv("TILESCOPE_TEST_SMTP_PASSWORD", "000123", 1);
  const AlertsConfig alerts = alerts_of(R"(
alerts:
  sinks:
    - name: mail
      type: email
      smtp_url: smtp://127.0.0.1:2525
      username: 007
      password: 0123
      from: nvr@example.com
      to: [guard@example.com]
      timeout_s: 15
    - name: mail-env
      type: email
      smtp_url: smtp://127.0.0.1:2525
      username: alerts
      password: ${TILESCOPE_TEST_SMTP_PASSWORD}
      from: nvr@example.com
      to: [guard@example.com]
    - name: ha
      type: mqtt
      host: 127.0.0.1
      port: 01883
      username: 1e3
      password: 123456
      topic_prefix: True
      client_id: 1.50
      qos: 1
    - name: hook
      type: webhook
      url: http://127.0.0.1:9/hook
      secret: 0x1F
      headers: {X-Site: 0042}
  rules:
    - {name: 0001, cooldown_per_camera_s: 30, min_score: 0.50, sinks: [mail]}
)");
  ASSERT_EQ(alerts.sinks.size(), 4u);
  const auto& mail = std::get<EmailSinkOptions>(alerts.sinks[0].options);
  EXPECT_EQ(mail.username, "007");
  EXPECT_EQ(mail.password, "0123");
  EXPECT_EQ(mail.timeout_s, 15);
  EXPECT_EQ(std::get<EmailSinkOptions>(alerts.sinks[1].options).password, "000123")
      << "a ${VAR} of digits is text too";
  const auto& mqtt = std::get<MqttSinkOptions>(alerts.sinks[2].options);
  EXPECT_EQ(mqtt.port, 1883) << "a number written with a leading zero still reads as the number";
  EXPECT_EQ(mqtt.username, "1e3");
  EXPECT_EQ(mqtt.password, "123456");
  EXPECT_EQ(mqtt.topic_prefix, "True");
  EXPECT_EQ(mqtt.client_id, "1.50");
  EXPECT_EQ(mqtt.qos, 1);
  const auto& hook = std::get<WebhookSinkOptions>(alerts.sinks[3].options);
  EXPECT_EQ(hook.secret, "0x1F");
  EXPECT_EQ(hook.headers.at("X-Site"), "0042");
  ASSERT_EQ(alerts.rules.size(), 1u);
  EXPECT_EQ(alerts.rules[0].name, "0001");
  EXPECT_EQ(alerts.rules[0].cooldown_per_camera_s, 30);
  EXPECT_EQ(alerts.rules[0].min_score, 0.5);
  ::unsetenv("TILESCOPE_TEST_SMTP_PASSWORD");
}

// The same password all the way to a real SMTP server's AUTH.
TEST(AlertsYaml, ALeadingZeroPasswordLogsInToTheSmtpServer) {
  SmtpServer server({.auth = "007:0123"});
  const AlertsConfig alerts = alerts_of("alerts:\n"
                                        "  sinks:\n"
                                        "    - name: mail\n"
                                        "      type: email\n"
                                        "      smtp_url: " +
                                        server.url() +
                                        "\n"
                                        "      username: 007\n"
                                        "      password: 0123\n"
                                        "      from: nvr@example.com\n"
                                        "      to: [guard@example.com]\n");
  ASSERT_EQ(alerts.sinks.size(), 1u);
  auto sink = make_sink(alerts.sinks[0]);
  const SendResult result = sink->send(
      {"d-digits", make_payload(AlertType::kNew, "d-digits", rule(), event(42, "gate"), false, ""), ""});
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_TRUE(server.wait_for_messages(1, 10s));
  EXPECT_EQ(server.messages()[0].meta["auth_login"], "007");
}

} // namespace
} // namespace tilescope::alerts
