// AlertsApi as a function: routes, validation naming the field, secrets redacted,
// rules persisted across restarts. Sinks point at closed ports: nothing is delivered.
#include "alerts_test_util.h"
#include "test_servers.h"
#include "tilescope/alerts/alerts_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tilescope::alerts {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace testing;

json section(json rules = nullptr) {
  if (rules.is_null())
    rules = json::array({{{"name", "knives"}, {"classes", {"knife"}}, {"sinks", {"hook"}}}});
  return {{"sinks",
           {{{"name", "hook"},
             {"type", "webhook"},
             {"url", "http://127.0.0.1:9/h"},
             {"secret", "w3bh00k-secret"},
             {"headers", {{"Authorization", "Bearer h3ader-token"}}}},
            {{"name", "mail"},
             {"type", "email"},
             {"smtp_url", "smtp://127.0.0.1:9"},
             {"username", "u"},
             {"password", "smtp-pa55"},
             {"from", "a@example.com"},
             {"to", {"b@example.com"}}},
            {{"name", "ha"},
             {"type", "mqtt"},
             {"host", "127.0.0.1"},
             {"port", 9},
             {"username", "u"},
             {"password", "mqtt-pa55"}}}},
          {"rules", rules},
          {"outbox", {{"backoff_initial_s", 60}}}};
}

class AlertsApiTest : public ::testing::Test {
protected:
  void SetUp() override { start(section()); }
  void start(const json& alerts) {
    api_.reset();
    service_.reset();
    service_ = AlertService::start(config_from(alerts), dir_.file("tilescope.db"));
    api_ = std::make_unique<AlertsApi>(*service_);
  }
  ApiResponse call(const std::string& method, const std::string& path, const json& body = nullptr,
                   const std::string& query = "") {
    return api_->handle(method, path, query, body.is_null() ? "" : body.dump());
  }

  TempDir dir_;
  std::unique_ptr<AlertService> service_;
  std::unique_ptr<AlertsApi> api_;
};

TEST_F(AlertsApiTest, RulesComeFromTheConfigFirst) {
  const ApiResponse r = call("GET", "/rules");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["origin"], "config");
  ASSERT_EQ(r.body["rules"].size(), 1u);
  EXPECT_EQ(r.body["rules"][0], rule_to_json(service_->rules()[0]));
  EXPECT_EQ(r.body["rules"][0]["classes"], json{"knife"});
}

TEST_F(AlertsApiTest, AMalformedRuleIsRejectedNamingTheField) {
  const json rules = json::array({{{"name", "ok"}, {"sinks", {"hook"}}},
                                  {{"name", "bad"}, {"cooldown_per_track_s", "soon"}, {"sinks", {"pager"}}}});
  const ApiResponse r = call("PUT", "/rules", {{"rules", rules}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], "bad_request");
  EXPECT_EQ(r.body["error"]["field"], "rules[1].cooldown_per_track_s");
  ASSERT_EQ(r.body["error"]["issues"].size(), 2u);
  EXPECT_EQ(r.body["error"]["issues"][1]["path"], "rules[1].sinks[0]");
  EXPECT_THAT(r.body["error"]["message"].get<std::string>(), HasSubstr("expected a number, got \"soon\""));
  EXPECT_EQ(call("GET", "/rules").body["rules"].size(), 1u) << "nothing applied";

  // API bodies are typed JSON: "30" is not a number there.
  const ApiResponse typed =
      call("PUT", "/rules", json::array({{{"name", "x"}, {"min_score", "0.5"}, {"sinks", {"hook"}}}}));
  EXPECT_EQ(typed.status, 400);
  EXPECT_EQ(typed.body["error"]["field"], "rules[0].min_score");
}

TEST_F(AlertsApiTest, RulesEditedThroughTheApiSurviveARestartAndWinOverTheConfig) {
  const json rules = json::array({{{"name", "people at night"},
                                   {"classes", {"person"}},
                                   {"sinks", {"hook", "mail"}},
                                   {"schedule", {{{"from", "22:00"}, {"to", "06:00"}}}}}});
  const ApiResponse put = call("PUT", "/rules", {{"rules", rules}});
  ASSERT_EQ(put.status, 200) << put.body.dump();
  EXPECT_EQ(put.body["origin"], "api");
  EXPECT_EQ(put.body["rules"][0]["schedule"][0]["from"], "22:00");

  start(section());
  const ApiResponse got = call("GET", "/rules");
  EXPECT_EQ(got.body["origin"], "api");
  ASSERT_EQ(got.body["rules"].size(), 1u);
  EXPECT_EQ(got.body["rules"][0]["name"], "people at night");
  EXPECT_EQ(got.body["rules"][0], put.body["rules"][0]);
}

TEST_F(AlertsApiTest, WhileNeverEditedAChangedConfigReseedsTheRules) {
  start(section(json::array({{{"name", "cars"}, {"classes", {"car"}}, {"sinks", {"hook"}}}})));
  const ApiResponse got = call("GET", "/rules");
  EXPECT_EQ(got.body["origin"], "config");
  EXPECT_EQ(got.body["rules"][0]["name"], "cars");
}

TEST_F(AlertsApiTest, OneRuleCanBeReadAddedReplacedAndDeleted) {
  EXPECT_EQ(call("GET", "/rules/knives").body["name"], "knives");
  EXPECT_EQ(call("GET", "/rules/nope").status, 404);

  const ApiResponse added = call("PUT", "/rules/people%20at%20gate",
                                 {{"classes", {"person"}}, {"cameras", {"gate"}}, {"sinks", {"mail"}}});
  EXPECT_EQ(added.status, 201) << added.body.dump();
  EXPECT_EQ(added.body["name"], "people at gate");
  EXPECT_EQ(call("PUT", "/rules/knives", {{"classes", {"knife", "gun"}}, {"sinks", {"hook"}}}).status, 200);
  EXPECT_EQ(call("GET", "/rules/knives").body["classes"], (json{"knife", "gun"}));

  const ApiResponse bad = call("PUT", "/rules/knives", {{"zone_mode", "near"}, {"sinks", {"hook"}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["field"], "zone_mode");
  EXPECT_EQ(call("PUT", "/rules/knives", {{"name", "other"}, {"sinks", {"hook"}}}).body["error"]["field"],
            "name");

  EXPECT_EQ(call("DELETE", "/rules/knives").status, 204);
  EXPECT_EQ(call("DELETE", "/rules/knives").status, 404);
  ASSERT_EQ(call("GET", "/rules").body["rules"].size(), 1u);
  EXPECT_EQ(call("GET", "/rules").body["rules"][0]["name"], "people at gate");
}

TEST_F(AlertsApiTest, SinksAreListedWithSecretsRedacted) {
  const ApiResponse r = call("GET", "/sinks");
  ASSERT_EQ(r.status, 200);
  const std::string text = r.body.dump();
  for (const char* secret : {"w3bh00k-secret", "h3ader-token", "smtp-pa55", "mqtt-pa55"})
    EXPECT_THAT(text, Not(HasSubstr(secret)));
  ASSERT_EQ(r.body["sinks"].size(), 3u);
  EXPECT_EQ(r.body["sinks"][0]["secret"], "***");
  EXPECT_EQ(r.body["sinks"][0]["url"], "http://127.0.0.1:9/***") << "webhook paths often hold a token";
  EXPECT_EQ(r.body["sinks"][0]["headers"]["Authorization"], "***");
  EXPECT_EQ(r.body["sinks"][1]["password"], "***");
  EXPECT_EQ(r.body["sinks"][1]["to"], json{"b@example.com"});
  EXPECT_EQ(r.body["sinks"][2]["password"], "***");
  EXPECT_EQ(r.body["sinks"][2]["status"]["connected"], false);
  EXPECT_EQ(call("GET", "/sinks/mail").body["type"], "email");
  EXPECT_EQ(call("GET", "/sinks/pager").status, 404);
}

TEST_F(AlertsApiTest, ATestAlertToAnUnreachableSinkReportsTheErrorWithoutSecrets) {
  const ApiResponse r = call("POST", "/sinks/mail/test");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["ok"], false);
  EXPECT_THAT(r.body["error"].get<std::string>(), HasSubstr("127.0.0.1"));
  EXPECT_THAT(r.body.dump(), Not(HasSubstr("smtp-pa55")));
  EXPECT_EQ(r.body["delivery_id"].get<std::string>().size(), 36u);
  EXPECT_EQ(call("POST", "/sinks/pager/test").status, 404);
  EXPECT_EQ(call("GET", "/sinks/mail/test").status, 405);
}

TEST_F(AlertsApiTest, DeliveriesAreListedFilteredAndFailedOnesRetried) {
  service_->on_event(EventKind::kOpened, event(1, "gate", "knife"), "");
  service_->on_event(EventKind::kOpened, event(2, "yard", "knife"), "");
  ASSERT_TRUE(wait_until([&] { return service_->outbox().list({}).deliveries.at(0).attempts > 0; }, 10s));

  const ApiResponse all = call("GET", "/deliveries");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.body["total"], 2);
  EXPECT_EQ(all.body["counts"]["pending"], 2);
  const json& newest = all.body["deliveries"][0];
  EXPECT_EQ(newest["event_id"], 2);
  EXPECT_EQ(newest["state"], "pending");
  EXPECT_EQ(newest["sink"], "hook");
  EXPECT_EQ(newest["payload"]["event"]["camera"], "yard");

  const ApiResponse gate = call("GET", "/deliveries", nullptr, "camera=gate&state=pending&limit=10");
  ASSERT_EQ(gate.body["total"], 1);
  EXPECT_EQ(gate.body["deliveries"][0]["event_id"], 1);
  EXPECT_EQ(call("GET", "/deliveries", nullptr, "state=lost").body["error"]["field"], "state");
  EXPECT_EQ(call("GET", "/deliveries", nullptr, "limit=0").body["error"]["field"], "limit");
  EXPECT_EQ(call("GET", "/deliveries", nullptr, "colour=red").status, 400);

  const std::string id = newest["id"];
  EXPECT_EQ(call("GET", "/deliveries/" + id).body["id"], id);
  EXPECT_EQ(call("GET", "/deliveries/nope").status, 404);
  EXPECT_EQ(call("POST", "/deliveries/" + id + "/retry").status, 409) << "pending, not failed";
  EXPECT_EQ(call("POST", "/deliveries/nope/retry").status, 404);

  // One attempt only: a new alert fails at once; a retry queues it again, it fails again.
  json one_attempt = section();
  one_attempt["outbox"]["max_attempts"] = 1;
  start(one_attempt);
  service_->on_event(EventKind::kOpened, event(3, "lot", "knife"), "");
  ASSERT_TRUE(wait_until([&] { return service_->outbox().counts().failed == 1; }, 10s));
  DeliveryFilter lot;
  lot.camera = "lot";
  const std::string failed_id = service_->outbox().list(lot).deliveries.at(0).id;
  const json failed = call("GET", "/deliveries/" + failed_id).body;
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_THAT(failed["last_error"].get<std::string>(), HasSubstr("POST http://127.0.0.1:9/***: "));
  EXPECT_EQ(call("POST", "/deliveries/" + failed_id + "/retry").status, 202);
  ASSERT_TRUE(wait_until([&] { return service_->outbox().get(failed_id)->attempts == 2; }, 10s))
      << "retried: attempts go on counting";
  EXPECT_TRUE(
      wait_until([&] { return service_->outbox().get(failed_id)->state == DeliveryState::kFailed; }, 10s));
}

TEST_F(AlertsApiTest, UnknownRoutesMethodsAndBodies) {
  EXPECT_EQ(call("GET", "/nothing").status, 404);
  EXPECT_EQ(call("GET", "/nothing").body["error"]["code"], "not_found");
  EXPECT_EQ(call("DELETE", "/rules").status, 405);
  const ApiResponse broken = api_->handle("PUT", "/rules", "", "{not json");
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(broken.body["error"]["field"], "body");
  const ApiResponse summary = call("GET", "");
  EXPECT_EQ(summary.status, 200);
  EXPECT_EQ(summary.body["sinks"], 3);
  EXPECT_EQ(summary.body["rules"], 1);
}

} // namespace
} // namespace tilescope::alerts
