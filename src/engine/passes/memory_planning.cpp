// Activation memory planning: greedy by size, best fit (the "greedy by size"
// offset planner of TFLite's arena planner and ORT's mem pattern). Buffers are
// placed largest first; each goes into the smallest gap between already placed
// buffers whose lifetimes overlap its own, or at the end.
#include "passes/passes.h"

#include <algorithm>
#include <numeric>

namespace tilescope::engine::passes {

MemoryPlan plan_memory(std::span<const BufferRequest> requests, std::size_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  auto align_up = [alignment](std::size_t n) { return (n + alignment - 1) / alignment * alignment; };

  std::vector<std::size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return requests[a].bytes > requests[b].bytes; });

  struct Placed {
    std::size_t offset, end;
  };
  std::vector<std::size_t> placed; // indices into requests, already given offsets
  for (std::size_t idx : order) {
    const BufferRequest& r = requests[idx];
    const std::size_t size = align_up(std::max<std::size_t>(r.bytes, 1));
    plan.naive_bytes += size;
    std::vector<Placed> busy;
    for (std::size_t other : placed) {
      const BufferRequest& o = requests[other];
      if (o.first_step <= r.last_step && r.first_step <= o.last_step) {
        busy.push_back(
            {plan.offsets[other], plan.offsets[other] + align_up(std::max<std::size_t>(o.bytes, 1))});
      }
    }
    std::sort(busy.begin(), busy.end(), [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    std::size_t best_offset = 0;
    std::size_t best_gap = SIZE_MAX;
    std::size_t cursor = 0;
    bool found = false;
    for (const Placed& p : busy) {
      if (p.offset > cursor) {
        const std::size_t gap = p.offset - cursor;
        if (gap >= size && gap < best_gap) {
          best_gap = gap;
          best_offset = cursor;
          found = true;
        }
      }
      cursor = std::max(cursor, p.end);
    }
    plan.offsets[idx] = found ? best_offset : cursor;
    plan.arena_bytes = std::max(plan.arena_bytes, plan.offsets[idx] + size);
    placed.push_back(idx);
  }
  return plan;
}

} // namespace tilescope::engine::passes
