// The process store_crash_test kills with SIGKILL: it opens the store in argv[1] and
// writes events for ever, the way a camera thread does (open, snapshot, update, close),
// keeping a few events open at any moment. After its first committed event it prints
// "ready" so the test knows the store is in use before it picks a moment to kill.
//
// Each snapshot starts with its own length (4 bytes, little endian) so the test can
// tell a complete file from a half-written one.
#include "tilescope/store/store.h"

#include <cstdio>
#include <deque>
#include <exception>
#include <random>

int main(int argc, char** argv) {
  using namespace tilescope::store;
  if (argc != 3) {
    std::fprintf(stderr, "usage: store_crash_writer <store folder> <seed>\n");
    return 2;
  }
  try {
    auto store = Store::open(argv[1]);
    std::mt19937 random(static_cast<unsigned>(std::stoul(argv[2])));
    std::uniform_int_distribution<int> size(64, 1024), byte(0, 255), updates(0, 3);
    std::deque<EventRecord> open; // closed oldest first, a few stay open
    bool announced = false;
    for (std::int64_t i = 0;; ++i) {
      EventRecord record;
      record.camera_id = 1 + i % 3;
      record.camera_name = "cam" + std::to_string(record.camera_id);
      record.label = i % 2 ? "person" : "car";
      record.score = 0.5;
      record.start_ms = now_ms();
      record.updated_ms = record.start_ms;
      record.box = Box{1, 2, 3, 4};
      record.frame_width = 640;
      record.frame_height = 480;
      record.track_id = i;
      record.id = store->open_event(record);
      for (int u = updates(random); u >= 0; --u) {
        std::vector<unsigned char> jpeg(static_cast<std::size_t>(size(random)));
        for (auto& b : jpeg)
          b = static_cast<unsigned char>(byte(random));
        const auto length = static_cast<std::uint32_t>(jpeg.size());
        for (int k = 0; k < 4; ++k)
          jpeg[k] = static_cast<unsigned char>(length >> (8 * k));
        record.snapshot = store->write_snapshot(record.id, jpeg);
        record.score += 0.1;
        record.zones.push_back("zone" + std::to_string(u));
        record.updated_ms = now_ms();
        store->update_event(record);
      }
      open.push_back(record);
      if (open.size() > 3) {
        store->close_event(open.front().id, now_ms());
        open.pop_front();
      }
      if (i % 16 == 0) store->set_setting("writer.iteration", std::to_string(i));
      if (!announced) {
        std::printf("ready\n");
        std::fflush(stdout);
        announced = true;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_crash_writer: %s\n", e.what());
    return 1;
  }
}
