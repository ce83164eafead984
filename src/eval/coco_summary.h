// Internal to the eval module: COCOeval.summarize() over an accumulated evaluation.
#pragma once

#include "tilescope/eval/coco.h"

namespace tilescope::eval {

// The 12 summary numbers from ev.precision()/ev.recall().
CocoSummary summarize_coco(const CocoEvaluation& ev);
// Mean of the valid (> -1) precision entries of category k, area all, maxDets 100,
// at IoU threshold index t or over all thresholds when t < 0; -1 when none is valid.
double mean_precision(const CocoEvaluation& ev, int k, int t);
// Same for recall over all IoU thresholds.
double mean_recall(const CocoEvaluation& ev, int k);

} // namespace tilescope::eval
