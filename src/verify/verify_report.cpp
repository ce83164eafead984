#include "tilescope/verify/verify_report.h"

#include "tilescope/core/error.h"
#include "tilescope/eval/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

namespace tilescope::verify {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Values at or below this are drawn at it on the log-scale chart (exact zeros).
constexpr double kChartFloor = 1e-12;

std::string num(double v, int precision = 3) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

// 1 - cosine, printed so that 0.9999999 and 0.99999 differ at a glance.
std::string cosine_text(double c) { return c == 1 ? "1" : "1-" + num(1 - c, 2); }

// How much of its budget a node uses: the largest ratio of a metric to its
// bound (>= 1: beyond budget). For ordering "worst" nodes.
double budget_use(const NodeResult& n) {
  const ErrorStats& s = n.stats;
  const Budget& b = n.budget;
  auto ratio = [](double value, double bound) {
    if (value <= 0) return 0.0;
    return bound > 0 ? value / bound : std::numeric_limits<double>::infinity();
  };
  double use = std::max({ratio(s.rel_rmse, b.rel_rmse), ratio(1 - s.cosine, 1 - b.min_cosine),
                         ratio(s.beyond_share, b.beyond_share)});
  if (b.max_abs) use = std::max(use, ratio(s.max_abs, *b.max_abs));
  if (b.max_rel) use = std::max(use, ratio(s.max_rel, *b.max_rel));
  if (!n.check.passed) use = std::max(use, 1.0);
  return std::isnan(use) ? std::numeric_limits<double>::infinity() : use;
}

std::vector<std::size_t> worst_nodes(const VerifyResult& r, int count) {
  std::vector<std::size_t> order(r.nodes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return budget_use(r.nodes[a]) > budget_use(r.nodes[b]);
  });
  if (order.size() > static_cast<std::size_t>(std::max(count, 0)))
    order.resize(static_cast<std::size_t>(count));
  // The first node beyond budget is where a fault starts: always listed (first),
  // even when the nodes after it drift further.
  if (r.first_failure && std::find(order.begin(), order.end(), *r.first_failure) == order.end()) {
    order.insert(order.begin(), *r.first_failure);
    if (order.size() > static_cast<std::size_t>(std::max(count, 1))) order.pop_back();
  }
  return order;
}

// "FusedConv (Conv + /model.0/act/Sigmoid + /model.0/act/Mul)".
std::string op_text(const NodeResult& n) {
  if (n.fused_from.empty()) return n.op;
  std::string s = n.op + " (fused:";
  for (const std::string& f : n.fused_from)
    s += " " + f;
  return s + ")";
}

std::string budget_text(const Budget& b) {
  std::string s = "rel_rmse <= " + num(b.rel_rmse) + ", cosine >= " + num(b.min_cosine, 7) +
                  ", beyond_share <= " + num(b.beyond_share) + " (atol_rms " + num(b.tolerance.atol_rms) +
                  ", rtol " + num(b.tolerance.rtol) + ")";
  if (b.max_abs) s += ", max_abs <= " + num(*b.max_abs);
  if (b.max_rel) s += ", max_rel <= " + num(*b.max_rel);
  return s;
}

std::string violations_text(const BudgetCheck& c) {
  std::string s;
  for (const std::string& v : c.violations)
    s += (s.empty() ? "" : "; ") + v;
  return s;
}

std::string first_failure_text(const VerifyResult& r) {
  const NodeResult& n = r.nodes.at(*r.first_failure);
  std::string s = n.node + " (" + op_text(n) + ")";
  if (n.value != n.node) s += " -> '" + n.value + "'";
  return s + ": " + violations_text(n.check);
}

json stats_json(const ErrorStats& s) {
  // JSON has no infinity: non-finite metrics are written as strings.
  auto v = [](double x) -> json { return std::isfinite(x) ? json(x) : json(num(x)); };
  return {{"elements", s.elements},
          {"max_abs", v(s.max_abs)},
          {"max_rel", v(s.max_rel)},
          {"rmse", v(s.rmse)},
          {"ref_rms", v(s.ref_rms)},
          {"rel_rmse", v(s.rel_rmse)},
          {"cosine", v(s.cosine)},
          {"beyond_share", v(s.beyond_share)},
          {"nonfinite_mismatches", s.nonfinite_mismatches}};
}

json budget_json(const Budget& b) {
  json j = {{"rel_rmse", b.rel_rmse},
            {"cosine", b.min_cosine},
            {"beyond_share", b.beyond_share},
            {"atol_rms", b.tolerance.atol_rms},
            {"rtol", b.tolerance.rtol}};
  j["max_abs"] = b.max_abs ? json(*b.max_abs) : json(nullptr);
  j["max_rel"] = b.max_rel ? json(*b.max_rel) : json(nullptr);
  return j;
}

json node_json(const NodeResult& n) {
  return {{"order", n.order},
          {"value", n.value},
          {"node", n.node},
          {"op", n.op},
          {"fused_from", n.fused_from},
          {"original_node", n.original_node},
          {"original_op", n.original_op},
          {"shape", n.shape},
          {"graph_output", n.is_graph_output},
          {"metrics", stats_json(n.stats)},
          {"budget", budget_json(n.budget)},
          {"budget_rule", n.budget_rule},
          {"budget_use", std::isfinite(budget_use(n)) ? json(budget_use(n)) : json("inf")},
          {"passed", n.check.passed},
          {"violations", n.check.violations}};
}

// The last path component of a node name: "/model.2/cv1/act/Sigmoid" -> "Sigmoid".
std::string short_name(const std::string& node) {
  const std::size_t slash = node.find_last_of('/');
  return slash == std::string::npos ? node : node.substr(slash + 1);
}

// Violations name the metrics in the cell; the full text is the row's tooltip.
std::string node_row_html(const NodeResult& n, std::size_t index, bool first) {
  std::string row = "<tr";
  if (!n.check.passed) {
    row += std::string(" style=\"background:") + (first ? "#f8b4b4" : "#fde2e2") + "\" title=\"" +
           eval::html_escape(violations_text(n.check)) + "\"";
  }
  std::string op = eval::html_escape(n.op);
  if (!n.fused_from.empty()) {
    std::string members;
    for (const std::string& f : n.fused_from)
      members += (members.empty() ? "+ " : ", ") + short_name(f);
    op += "<br><small>" + eval::html_escape(members) + "</small>";
  }
  std::string beyond;
  for (const std::string& v : n.check.violations)
    beyond += (beyond.empty() ? "" : ", ") + v.substr(0, v.find(' '));
  return row + "><td class=num>" + std::to_string(index) + "</td><td>" + eval::html_escape(n.node) +
         (n.value != n.node ? "<br><small>" + eval::html_escape(n.value) + "</small>" : "") + "</td><td>" +
         op + "</td><td class=num>" + num(n.stats.rel_rmse) + "</td><td class=num>" + num(n.stats.max_rel) +
         "</td><td class=num>" + num(n.stats.max_abs) + "</td><td class=num>" + cosine_text(n.stats.cosine) +
         "</td><td class=num>" + num(n.stats.beyond_share) + "</td><td class=num>" + num(budget_use(n), 2) +
         "</td><td>" + eval::html_escape(beyond) + "</td></tr>\n";
}

constexpr const char* kNodeTableHead =
    "<table><tr><th>#</th><th>node / value</th><th>op</th><th>rel RMSE</th><th>max rel</th><th>max abs</th>"
    "<th>cosine</th><th>beyond tol.</th><th>budget use</th><th>beyond budget</th></tr>\n";

eval::PlotSpec error_plot(const VerifyResult& r) {
  eval::PlotSpec plot;
  plot.title = "Per-node error, " + r.candidate + " vs " + r.against + " (log10; zeros drawn at -12)";
  plot.x_label = "node (topological order)";
  plot.y_label = "log10 error";
  plot.width = 1100;
  plot.height = 560;
  plot.legend = eval::LegendCorner::kBottomRight;
  eval::PlotSeries rel_rmse, max_rel, failing;
  rel_rmse.label = "relative RMSE";
  max_rel.label = "max relative error";
  failing.label = "beyond budget";
  rel_rmse.color = cv::Scalar(200, 90, 30);
  max_rel.color = cv::Scalar(60, 170, 60);
  failing.color = cv::Scalar(30, 30, 220);
  failing.lines = false;
  failing.markers = true;
  auto lg = [](double v) { return std::log10(std::isfinite(v) ? std::max(v, kChartFloor) : 1e3); };
  for (std::size_t i = 0; i < r.nodes.size(); ++i) {
    const NodeResult& n = r.nodes[i];
    rel_rmse.x.push_back(static_cast<double>(i));
    rel_rmse.y.push_back(lg(n.stats.rel_rmse));
    max_rel.x.push_back(static_cast<double>(i));
    max_rel.y.push_back(lg(n.stats.max_rel));
    if (!n.check.passed) {
      failing.x.push_back(static_cast<double>(i));
      failing.y.push_back(lg(n.stats.rel_rmse));
    }
  }
  eval::PlotSeries bound;
  bound.label = "default rel RMSE budget";
  bound.color = cv::Scalar(120, 120, 120);
  bound.x = {0, static_cast<double>(std::max<std::size_t>(r.nodes.size(), 2) - 1)};
  bound.y = {lg(r.budgets.default_budget.rel_rmse), lg(r.budgets.default_budget.rel_rmse)};
  plot.series = {max_rel, rel_rmse, bound};
  if (!failing.x.empty()) plot.series.push_back(failing);
  if (r.first_failure) {
    eval::PlotSeries first;
    first.label = "first beyond budget";
    first.color = cv::Scalar(0, 0, 0);
    first.lines = false;
    first.markers = true;
    first.x = {static_cast<double>(*r.first_failure)};
    first.y = {lg(r.nodes[*r.first_failure].stats.rel_rmse)};
    first.point_labels = {"#" + std::to_string(*r.first_failure) + " " +
                          short_name(r.nodes[*r.first_failure].node)};
    plot.series.push_back(first);
  }
  return plot;
}

} // namespace

std::string format_text(const VerifyResult& r, int worst) {
  std::ostringstream o;
  o << "tilescope verify: " << r.model_path << "\n"
    << "  candidate  " << r.candidate << "   against " << r.against << "\n"
    << "  inputs     " << r.n << " x " << r.inputs << "  (" << r.input_shapes << ")\n"
    << "  budget     " << r.budgets.source << ": " << budget_text(r.budgets.default_budget);
  if (!r.budgets.rules.empty()) o << "; " << r.budgets.rules.size() << " rule(s)";
  o << "\n  compared   " << r.nodes.size() << " node outputs";
  if (r.inside_fused > 0) {
    o << "; " << r.inside_fused
      << " more exist only inside the candidate's fused steps (compared at the fused "
      << "node's output)";
  }
  o << "\n";
  if (!r.nodes.empty()) {
    o << "worst nodes (by budget use; >= 1 is beyond):\n";
    char line[512];
    std::snprintf(line, sizeof line, "  %4s  %-44s %-12s %9s %9s %9s %10s %9s %6s\n", "#", "node", "op",
                  "rel_rmse", "max_rel", "max_abs", "cosine", "beyond", "use");
    o << line;
    for (std::size_t i : worst_nodes(r, worst)) {
      const NodeResult& n = r.nodes[i];
      std::string name = n.node.size() > 44 ? "..." + n.node.substr(n.node.size() - 41) : n.node;
      std::snprintf(line, sizeof line, "  %4zu  %-44s %-12s %9s %9s %9s %10s %9s %6s\n", i, name.c_str(),
                    n.op.c_str(), num(n.stats.rel_rmse).c_str(), num(n.stats.max_rel).c_str(),
                    num(n.stats.max_abs).c_str(), cosine_text(n.stats.cosine).c_str(),
                    num(n.stats.beyond_share).c_str(), num(budget_use(n), 2).c_str());
      o << line;
    }
  }
  o << "outputs:\n";
  for (const NodeResult& n : r.outputs) {
    o << "  " << n.value << " " << engine::shape_str(n.shape) << ": rel_rmse " << num(n.stats.rel_rmse)
      << ", max_rel " << num(n.stats.max_rel) << ", max_abs " << num(n.stats.max_abs) << ", cosine "
      << cosine_text(n.stats.cosine) << (n.check.passed ? "" : "  BEYOND: " + violations_text(n.check))
      << "\n";
  }
  if (r.detections) {
    const DetectionComparison& d = *r.detections;
    o << "detections (" << r.head << " head, " << d.images << " inputs compared"
      << (d.capped_images > 0 ? ", " + std::to_string(d.capped_images) + " left out" : "") << "): reference "
      << d.reference << ", candidate " << d.candidate << ", matched " << d.matched << ", missed " << d.missed
      << ", extra " << d.extra << "; mean IoU " << num(d.mean_iou, 6) << "; score delta max "
      << num(d.max_score_delta) << " mean " << num(d.mean_score_delta) << "; mAP@0.5 "
      << (d.map50 < 0 ? "n/a" : num(d.map50, 4)) << "\n";
    for (const std::string& v : r.detection_violations)
      o << "  BEYOND: " << v << "\n";
  }
  for (const std::string& note : r.notes)
    o << "note: " << note << "\n";
  if (r.passed()) {
    o << "PASS: every compared node within budget"
      << (r.detections && r.detections->images > 0 ? ", detections within budget" : "") << " ("
      << num(r.seconds, 3) << " s)\n";
  } else {
    o << "FAIL";
    if (r.first_failure) {
      const auto beyond =
          std::count_if(r.nodes.begin(), r.nodes.end(), [](const NodeResult& n) { return !n.check.passed; });
      o << ": first node beyond budget: " << first_failure_text(r) << "\n  (" << beyond << " of "
        << r.nodes.size() << " nodes beyond budget)";
    }
    if (!r.detections_passed()) o << (r.first_failure ? "; " : ": ") << "detections beyond budget";
    o << "\n";
  }
  return o.str();
}

std::string result_json(const VerifyResult& r) {
  json j;
  j["model"] = r.model_path;
  j["candidate"] = r.candidate;
  j["against"] = r.against;
  j["inputs"] = {{"description", r.inputs}, {"n", r.n}, {"names", r.input_names}, {"shapes", r.input_shapes}};
  json rules = json::array();
  for (const BudgetRule& rule : r.budgets.rules)
    rules.push_back({{"label", rule.label},
                     {"node", rule.node_glob},
                     {"op", rule.op},
                     {"budget", budget_json(rule.budget)}});
  j["budget"] = {
      {"source", r.budgets.source},
      {"precision", precision_name(r.budgets.precision)},
      {"default", budget_json(r.budgets.default_budget)},
      {"rules", rules},
      {"detections",
       {{"map50", r.budgets.detections.min_map50}, {"score_delta", r.budgets.detections.max_score_delta}}}};
  j["passed"] = r.passed();
  j["nodes_passed"] = r.nodes_passed();
  j["detections_passed"] = r.detections_passed();
  j["first_failure"] = r.first_failure ? node_json(r.nodes[*r.first_failure]) : json(nullptr);
  j["nodes_beyond_budget"] =
      std::count_if(r.nodes.begin(), r.nodes.end(), [](const NodeResult& n) { return !n.check.passed; });
  j["inside_fused"] = r.inside_fused;
  json nodes = json::array();
  for (const NodeResult& n : r.nodes)
    nodes.push_back(node_json(n));
  j["nodes"] = nodes;
  json outputs = json::array();
  for (const NodeResult& n : r.outputs)
    outputs.push_back(node_json(n));
  j["outputs"] = outputs;
  if (r.detections) {
    const DetectionComparison& d = *r.detections;
    j["detections"] = {{"head", r.head},
                       {"images", d.images},
                       {"capped_images", d.capped_images},
                       {"reference", d.reference},
                       {"candidate", d.candidate},
                       {"matched", d.matched},
                       {"missed", d.missed},
                       {"extra", d.extra},
                       {"mean_iou", d.mean_iou},
                       {"max_score_delta", d.max_score_delta},
                       {"mean_score_delta", d.mean_score_delta},
                       {"map50", d.map50 < 0 ? json(nullptr) : json(d.map50)},
                       {"violations", r.detection_violations}};
  } else {
    j["detections"] = nullptr;
  }
  j["notes"] = r.notes;
  j["seconds"] = r.seconds;
  return j.dump(2);
}

fs::path write_report(const fs::path& dir, const VerifyResult& r, int worst) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create the report folder: " + ec.message());
  {
    const fs::path path = dir / "report.json";
    std::ofstream out(path, std::ios::binary);
    if (!(out << result_json(r) << "\n") || !out.flush()) throw Error(path.string() + ": cannot write");
  }
  const fs::path chart = dir / "errors.png";
  eval::save_plot(chart, error_plot(r));

  std::vector<eval::ReportSection> sections;
  std::string verdict;
  if (r.passed()) {
    verdict = "<p style=\"color:#15692b\"><b>PASS</b>: every compared node within budget" +
              std::string(r.detections && r.detections->images > 0 ? ", detections within budget" : "") +
              ".</p>\n";
  } else {
    verdict = "<p style=\"color:#a11\"><b>FAIL</b>";
    if (r.first_failure) verdict += ": first node beyond budget: " + eval::html_escape(first_failure_text(r));
    if (!r.detections_passed())
      verdict += (r.first_failure ? "; " : ": ") + std::string("detections beyond budget");
    verdict += ".</p>\n";
  }
  for (const std::string& note : r.notes)
    verdict += "<p>Note: " + eval::html_escape(note) + "</p>\n";
  sections.push_back({"Verdict", verdict, {}});
  sections.push_back(
      {"Per-layer error",
       "<p>Relative RMSE (RMSE / RMS of the reference) and max relative error of every compared "
       "node output, in the model's topological order; red dots are beyond budget.</p>\n",
       {chart}});

  std::string worst_html = kNodeTableHead;
  for (std::size_t i : worst_nodes(r, worst))
    worst_html += node_row_html(r.nodes[i], i, r.first_failure == i);
  worst_html += "</table>\n<p>Budget use: the largest ratio of a metric to its bound (cosine as 1 - cosine); "
                "1 or more is beyond budget. Default budget: " +
                eval::html_escape(budget_text(r.budgets.default_budget)) + ".</p>\n";
  sections.push_back({"Worst layers", worst_html, {}});

  std::string outputs_html = kNodeTableHead;
  for (std::size_t i = 0; i < r.outputs.size(); ++i)
    outputs_html += node_row_html(r.outputs[i], i, false);
  sections.push_back({"Graph outputs", outputs_html + "</table>\n", {}});

  if (r.detections) {
    const DetectionComparison& d = *r.detections;
    std::string h = "<table class=facts>\n";
    auto row = [&](const std::string& k, const std::string& v) {
      h += "<tr><td>" + eval::html_escape(k) + "</td><td>" + eval::html_escape(v) + "</td></tr>\n";
    };
    row("head", r.head);
    row("inputs compared", std::to_string(d.images) +
                               (d.capped_images > 0 ? " (" + std::to_string(d.capped_images) +
                                                          " left out: the reference hit its detection cap)"
                                                    : ""));
    row("reference / candidate detections",
        std::to_string(d.reference) + " / " + std::to_string(d.candidate));
    row("matched (IoU >= 0.5, same class)", std::to_string(d.matched));
    row("missed / extra", std::to_string(d.missed) + " / " + std::to_string(d.extra));
    row("mean IoU of matches", num(d.mean_iou, 6));
    row("score delta max / mean", num(d.max_score_delta) + " / " + num(d.mean_score_delta));
    row("candidate mAP@0.5 (reference as ground truth)", d.map50 < 0 ? "n/a" : num(d.map50, 4));
    row("budget", "mAP@0.5 >= " + num(r.budgets.detections.min_map50) +
                      ", score delta <= " + num(r.budgets.detections.max_score_delta));
    h += "</table>\n";
    for (const std::string& v : r.detection_violations)
      h += "<p style=\"color:#a11\">Beyond budget: " + eval::html_escape(v) + "</p>\n";
    sections.push_back({"Detections", h, {}});
  }

  std::string all =
      "<details><summary>" + std::to_string(r.nodes.size()) + " nodes</summary>\n" + kNodeTableHead;
  for (std::size_t i = 0; i < r.nodes.size(); ++i)
    all += node_row_html(r.nodes[i], i, r.first_failure == i);
  sections.push_back({"Every node", all + "</table></details>\n", {}});

  const std::vector<std::pair<std::string, std::string>> facts = {
      {"Model", r.model_path},
      {"Candidate", r.candidate},
      {"Against", r.against},
      {"Inputs", std::to_string(r.n) + " x " + r.inputs + " (" + r.input_shapes + ")"},
      {"Budget", r.budgets.source},
      {"Compared", std::to_string(r.nodes.size()) + " node outputs; " + std::to_string(r.inside_fused) +
                       " more only inside fused steps"},
      {"Time", num(r.seconds, 3) + " s"}};
  return eval::write_html_report(dir, "tilescope verify: " + fs::path(r.model_path).filename().string(),
                                 facts, sections);
}

} // namespace tilescope::verify
