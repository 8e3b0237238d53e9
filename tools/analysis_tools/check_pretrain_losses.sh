#!/usr/bin/env bash
# Sanity run of every pre-training method on the embedded synthetic data:
# each `configs/pretrain/*_synthetic.py` trains ITERS iterations (constant
# schedule, no validation, no checkpoints), then the loss trend of each run
# is tabulated (first vs last window) and plotted.
#
#   tools/analysis_tools/check_pretrain_losses.sh [ITERS] [WORK_ROOT] [CONFIG...]
#
# Exits 1 when a method's loss does not fall. The first SKIP (default 30)
# iterations are left out of the trend: a MoCo queue starts with random keys,
# an easier task than real ones, so its loss is comparable only once filled.
set -euo pipefail
ITERS=${1:-300}
WORK_ROOT=${2:-work_dirs/pretrain_loss_check}
shift $(( $# > 2 ? 2 : $# ))
CONFIGS=("$@")
if [ ${#CONFIGS[@]} -eq 0 ]; then
    CONFIGS=(configs/pretrain/*_synthetic.py)
fi
PYTHON=${PYTHON:-python}
mkdir -p "$WORK_ROOT"
RUNS=()
for cfg in "${CONFIGS[@]}"; do
    name=$(basename "$cfg" .py)
    work_dir="$WORK_ROOT/$name"
    echo "== $name: $ITERS iterations -> $work_dir"
    # An iteration-based loop replaces the config's epochs; epoch-based
    # schedulers then never step (a constant rate after any warm-up).
    "$PYTHON" tools/train.py "$cfg" --work-dir "$work_dir" --cfg-options \
        train_cfg._delete_=True train_cfg.type=IterBasedTrainLoop \
        train_cfg.max_iters="$ITERS" train_cfg.val_interval=1000000000 \
        default_hooks.logger.interval=1 log_processor.by_epoch=False \
        default_hooks.checkpoint.by_epoch=False \
        default_hooks.checkpoint.interval=1000000000 \
        default_hooks.checkpoint.save_last=False \
        default_hooks.checkpoint.save_best=None > "$work_dir.log" 2>&1 \
        || { echo "   failed, see $work_dir.log"; tail -20 "$work_dir.log"; exit 1; }
    RUNS+=("$work_dir")
done
"$PYTHON" tools/analysis_tools/analyze_logs.py plot_curve "${RUNS[@]}" \
    --out "$WORK_ROOT/loss_curves.png" --smooth 20
"$PYTHON" tools/analysis_tools/analyze_logs.py trend "${RUNS[@]}" \
    --window 30 --skip "${SKIP:-30}" --check | tee "$WORK_ROOT/loss_trend.md"
