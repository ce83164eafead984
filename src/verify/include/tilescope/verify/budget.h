// Error budgets: how far a candidate may drift from the reference, per node,
// before `tilescope verify` fails (exit code 2).
//
// Defaults per precision (default_budgets(); the numbers and why are in
// budget.cpp), overridable by a budget file, YAML or JSON:
//
//   precision: fp32          # optional: whose defaults to start from (default: the candidate's)
//   default:                 # changes to those defaults, for every node
//     rel_rmse: 1.0e-4
//   rules:                   # per node, the first matching rule wins; unset keys come from `default`
//     - node: "/model.22/*"  # glob (* ? [..]) on the node, a node fused into it, or its output's name
//       rel_rmse: 1.0e-3
//     - op: Softmax          # op type of the node (FusedConv, Concat, ...) or of the model node it stands
//     for
//       cosine: 0.9999
//   detections:
//     map50: 0.99            # candidate mAP@0.5 with the reference's detections as ground truth, at least
//     score_delta: 1.0e-3    # matched detections' score difference, at most
//
// Node budget keys: rel_rmse, cosine (minimum), beyond_share, atol_rms, rtol (the
// elementwise tolerance beyond_share counts against, metrics.h), max_abs and max_rel
// (both optional: off unless given). Unknown keys, wrong types and values out of
// range are errors naming the file and the key's path.
#pragma once

#include "tilescope/verify/backend_spec.h"
#include "tilescope/verify/metrics.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::verify {

struct Budget {
  double rel_rmse = 0;     // RMSE / RMS(reference), at most
  double min_cosine = 1;   // cosine similarity, at least
  double beyond_share = 0; // share of elements beyond tolerance, at most
  Tolerance tolerance;     // atol_rms, rtol for beyond_share
  std::optional<double> max_abs;
  std::optional<double> max_rel;
};

struct DetectionBudget {
  double min_map50 = 1;
  double max_score_delta = 0;
};

struct BudgetRule {
  std::string label;     // "rules[2]" (for reports)
  std::string node_glob; // empty: any node
  std::string op;        // empty: any op
  Budget budget;
};

// What a compared value is called, for rule matching.
struct NodeNames {
  std::string node;                    // the candidate's node producing the value
  std::vector<std::string> fused_from; // model nodes fused into it
  std::string value;                   // the value (tensor) name
  std::string op;                      // the candidate node's op type
  std::string original_op;             // op type of the model node that produced the value
};

struct BudgetSet {
  std::string source; // "defaults for fp32" or the file's path
  Precision precision = Precision::kFp32;
  Budget default_budget;
  std::vector<BudgetRule> rules;
  DetectionBudget detections;

  // The first rule matching `names`, else nullptr (then default_budget applies).
  const BudgetRule* rule_for(const NodeNames& names) const;
  const Budget& budget_for(const NodeNames& names) const;
};

BudgetSet default_budgets(Precision precision);

// Parses a budget file's text (`source` names it in errors): YAML, or JSON (a
// text starting with '{'). Defaults come from the file's `precision` or else
// from `precision`. Throws Error "<source>: <key path>: <problem>".
BudgetSet parse_budget_text(std::string_view text, const std::string& source, Precision precision);
BudgetSet load_budget_file(const std::string& path, Precision precision);

struct BudgetCheck {
  bool passed = true;
  std::vector<std::string> violations; // "rel_rmse 0.1 > 0.0001"
};

BudgetCheck check_budget(const ErrorStats& stats, const Budget& budget);

} // namespace tilescope::verify
