// MQTT with libmosquitto, in the topic layout Frigate users already wire into Home
// Assistant:
//
//   <prefix>/available                  "online" | "offline" (retained; "offline" is also
//                                        the last will, published by the broker when the
//                                        connection dies without a goodbye)
//   <prefix>/events                     the alert payload JSON (alert_payload.h)
//   <prefix>/<camera>/<class>           open events of that class on that camera (a number)
//   <prefix>/<camera>/<class>/snapshot  JPEG bytes of the latest alert's snapshot (retained)
//
// The connection is kept by libmosquitto's own thread, reconnecting with back-off. An
// alert is sent once the broker acknowledged its messages (PUBACK at QoS 1, PUBCOMP at
// QoS 2; at QoS 0 once written to the socket).
#include "sink.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mosquitto.h>
#include <mutex>
#include <set>
#include <spdlog/spdlog.h>
#include <thread>

namespace tilescope::alerts {

namespace {

constexpr int kKeepaliveS = 30;

// A topic level from a name: no wildcards, no level separators.
std::string topic_level(std::string text) {
  for (char& c : text)
    if (c == '+' || c == '#' || c == '/' || static_cast<unsigned char>(c) < 0x20) c = '_';
  return text.empty() ? "_" : text;
}

void ensure_mosquitto_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

class MqttSink : public Sink {
public:
  MqttSink(std::string name, MqttSinkOptions options) : name_(std::move(name)), options_(std::move(options)) {
    ensure_mosquitto_initialised();
    mosq_ = mosquitto_new(options_.client_id.c_str(), /*clean_session=*/true, this);
    if (mosq_ == nullptr) {
      last_error_ = "cannot create an MQTT client";
      return;
    }
    if (!options_.username.empty())
      mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                                options_.password.empty() ? nullptr : options_.password.c_str());
    const std::string offline = "offline";
    mosquitto_will_set(mosq_, topic("available").c_str(), static_cast<int>(offline.size()), offline.data(), 1,
                       /*retain=*/true);
    mosquitto_connect_callback_set(mosq_, &MqttSink::on_connect);
    mosquitto_disconnect_callback_set(mosq_, &MqttSink::on_disconnect);
    mosquitto_publish_callback_set(mosq_, &MqttSink::on_publish);
    mosquitto_reconnect_delay_set(mosq_, 1, 30, /*exponential=*/true);
    connector_ = std::thread([this] { connect_until_up(); });
  }

  ~MqttSink() override {
    stop();
    if (mosq_ != nullptr) mosquitto_destroy(mosq_);
  }

  void stop() override {
    bool connected = false;
    {
      std::lock_guard lock(mutex_);
      if (mosq_ == nullptr || stopped_) return;
      stopped_ = true;
      connected = connected_;
    }
    cv_.notify_all();
    if (connector_.joinable()) connector_.join();
    if (connected)
      publish_and_wait({{topic("available"), "offline", true}}, 1, std::chrono::milliseconds(1000));
    if (loop_started_) {
      mosquitto_disconnect(mosq_);
      mosquitto_loop_stop(mosq_, /*force=*/false);
    }
  }

  SendResult send(const OutgoingAlert& alert) override {
    if (mosq_ == nullptr) return {false, last_error_};
    const nlohmann::json& event = alert.payload.value("event", nlohmann::json::object());
    std::vector<Message> messages{
        {topic("events"), alert.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
         false}};
    const std::string jpeg = read_attachment(alert.attachment_path);
    if (!jpeg.empty())
      messages.push_back({topic(topic_level(event.value("camera", "")) + "/" +
                                topic_level(event.value("label", "")) + "/snapshot"),
                          jpeg, true});
    const auto timeout = std::chrono::milliseconds(static_cast<long>(options_.timeout_s * 1000));
    return publish_and_wait(messages, options_.qos, timeout);
  }

  void publish_count(const std::string& camera, const std::string& label, int count) override {
    if (mosq_ == nullptr) return;
    const std::string count_topic = topic(topic_level(camera) + "/" + topic_level(label));
    const std::string text = std::to_string(count);
    {
      std::lock_guard lock(mutex_);
      counts_[count_topic] = count;
      if (!connected_) return; // sent on connect
    }
    mosquitto_publish(mosq_, nullptr, count_topic.c_str(), static_cast<int>(text.size()), text.data(), 0,
                      false);
  }

  nlohmann::json status() const override {
    std::lock_guard lock(mutex_);
    return {{"connected", connected_}, {"broker", broker()}, {"last_error", last_error_}};
  }

private:
  // libmosquitto's loop thread reconnects a connection that was up once, but not a
  // first connect that failed (broker down when we start): that one is retried here,
  // with the same back-off, until it goes through or the sink stops.
  void connect_until_up() {
    auto delay = std::chrono::seconds(1);
    std::unique_lock lock(mutex_);
    while (!stopped_) {
      lock.unlock();
      const int rc = mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port, kKeepaliveS);
      if (rc == MOSQ_ERR_SUCCESS) {
        loop_started_ = mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS;
        return;
      }
      lock.lock();
      last_error_ = std::string("connect to ") + broker() + ": " + mosquitto_strerror(rc);
      cv_.wait_for(lock, delay, [&] { return stopped_; });
      delay = std::min(delay * 2, std::chrono::seconds(30));
    }
  }

  struct Message {
    std::string topic;
    std::string payload;
    bool retain = false;
  };

  std::string topic(const std::string& suffix) const { return options_.topic_prefix + "/" + suffix; }
  std::string broker() const { return options_.host + ":" + std::to_string(options_.port); }

  SendResult publish_and_wait(const std::vector<Message>& messages, int qos,
                              std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!connected_) return {false, "not connected to the MQTT broker " + broker() + last_error_suffix()};
    std::set<int> mids;
    // The mids are registered under the lock before the loop thread can report them:
    // its on_publish waits for the lock (libmosquitto calls back only from that thread).
    for (const Message& message : messages) {
      int mid = 0;
      const int rc =
          mosquitto_publish(mosq_, &mid, message.topic.c_str(), static_cast<int>(message.payload.size()),
                            message.payload.data(), qos, message.retain);
      if (rc != MOSQ_ERR_SUCCESS) {
        for (int m : mids)
          waiting_.erase(m);
        return {false, "publish to " + message.topic + ": " + mosquitto_strerror(rc)};
      }
      mids.insert(mid);
      waiting_.insert(mid);
    }
    const auto all_acked = [&] {
      return std::all_of(mids.begin(), mids.end(), [&](int mid) { return acked_.count(mid) > 0; });
    };
    const bool done = cv_.wait_for(lock, timeout, [&] { return all_acked() || !connected_; }) && all_acked();
    for (int mid : mids) {
      waiting_.erase(mid);
      acked_.erase(mid);
    }
    if (done) return {true, ""};
    return {false, connected_
                       ? "no acknowledgement from the MQTT broker " + broker() + " within " +
                             std::to_string(timeout.count()) + " ms"
                       : "connection to the MQTT broker " + broker() + " lost before the acknowledgement"};
  }

  std::string last_error_suffix() const { return last_error_.empty() ? "" : " (" + last_error_ + ")"; }

  static void on_connect(mosquitto* mosq, void* self_ptr, int rc) {
    auto* self = static_cast<MqttSink*>(self_ptr);
    std::map<std::string, int> counts;
    {
      std::lock_guard lock(self->mutex_);
      if (rc != 0) {
        self->last_error_ = std::string("broker refused the connection: ") + mosquitto_connack_string(rc);
        return;
      }
      self->connected_ = true;
      self->last_error_.clear();
      counts = self->counts_;
    }
    spdlog::info("alerts: sink {} connected to MQTT broker {}", self->name_, self->broker());
    const std::string online = "online";
    mosquitto_publish(mosq, nullptr, self->topic("available").c_str(), static_cast<int>(online.size()),
                      online.data(), 1, true);
    for (const auto& [count_topic, count] : counts) {
      const std::string text = std::to_string(count);
      mosquitto_publish(mosq, nullptr, count_topic.c_str(), static_cast<int>(text.size()), text.data(), 0,
                        false);
    }
  }

  static void on_disconnect(mosquitto*, void* self_ptr, int rc) {
    auto* self = static_cast<MqttSink*>(self_ptr);
    {
      std::lock_guard lock(self->mutex_);
      self->connected_ = false;
      if (rc != 0) self->last_error_ = "connection lost";
    }
    self->cv_.notify_all();
  }

  static void on_publish(mosquitto*, void* self_ptr, int mid) {
    auto* self = static_cast<MqttSink*>(self_ptr);
    {
      std::lock_guard lock(self->mutex_);
      if (self->waiting_.count(mid) > 0) self->acked_.insert(mid);
    }
    self->cv_.notify_all();
  }

  std::string name_;
  MqttSinkOptions options_;
  mosquitto* mosq_ = nullptr;
  std::thread connector_;
  bool loop_started_ = false; // written by connector_ before it ends; read after joining it
  bool stopped_ = false;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool connected_ = false;
  std::string last_error_;
  std::set<int> waiting_;
  std::set<int> acked_;
  std::map<std::string, int> counts_; // topic -> latest count, republished on (re)connect
};

} // namespace

std::unique_ptr<Sink> make_mqtt_sink(const std::string& name, const MqttSinkOptions& options) {
  return std::make_unique<MqttSink>(name, options);
}

} // namespace tilescope::alerts
