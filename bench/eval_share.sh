#!/usr/bin/env bash
# Evaluation cost against training time at the paper's cadence (docs/performance.md,
# "Evaluation cost"): trains a 10-seed pack of each task for one evaluation interval on a GPU
# and prints, per task and evaluation precision, the training rate, the evaluation's seconds
# and its share of the training time between two evaluations.
#
#   bench/eval_share.sh SG_TRAIN OUT_DIR [TASK:STEPS[:INTERVAL] ...]
#
# Trains STEPS steps and reports the last evaluation (at STEPS) against INTERVAL steps of
# training (default STEPS; the spec's eval_every must divide STEPS). Default tasks:
# question_formation:3000 tense_inflection:3000 (their cadence; Dyck's is 10,000);
# tense_inflection:9000:3000 measures a model that has learned to follow its lines.
# Environment: DEPTH (6), DEVICE (cuda), EVAL_PRECISIONS ("auto"; e.g. "train bf16" to compare), SG_TRAIN_ARGS (more
# sg-train flags).
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 SG_TRAIN OUT_DIR [TASK:STEPS ...]" >&2
  exit 2
fi
sg_train=$1
out=$2
shift 2
tasks=("$@")
[[ ${#tasks[@]} -gt 0 ]] || tasks=(question_formation:3000 tense_inflection:3000)
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
rows=()
for entry in "${tasks[@]}"; do
  IFS=: read -r task steps interval <<<"$entry"
  interval=${interval:-$steps}
  for precision in ${EVAL_PRECISIONS:-auto}; do
    run="$out/${task}_${precision}"
    rm -rf "$run"
    "$sg_train" --spec "$root/examples/$task.yaml" --cell "depth=${DEPTH:-6}" \
      --seeds 0,1,2,3,4,5,6,7,8,9 --device "${DEVICE:-cuda}" --steps "$steps" \
      --eval-precision "$precision" --progress-interval 5 --out "$run" ${SG_TRAIN_ARGS:-} \
      > "$run.log" 2>&1
    # The training rate: the last progress line before the evaluation.
    # (its running average since the start; later lines include the evaluation itself).
    rate=$(sed '/eval step/q' "$run.log" | grep -o '[0-9.]* steps/s' | tail -1 | cut -d' ' -f1)
    eval_line=$(grep 'eval step' "$run.log" | tail -1)
    eval_s=$(sed -E 's/.*eval step [0-9]+ \(([0-9.]+)s.*/\1/' <<<"$eval_line")
    share=$(awk -v e="$eval_s" -v r="$rate" -v n="$interval" 'BEGIN { printf "%.1f", 100 * e * r / n }')
    echo "$eval_line" >&2
    rows+=("$(printf '%-20s %6s %-6s %8s %10s %8s%%' "$task" "$steps" "$precision" "$rate" "$eval_s" "$share")")
  done
done
printf '%-20s %6s %-6s %8s %10s %9s\n' task step eval pack/s eval_s share
printf '%s\n' "${rows[@]}"
