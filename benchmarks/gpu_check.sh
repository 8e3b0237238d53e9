#!/usr/bin/env bash
# GPU check, one CUDA GPU, at most 8 minutes in all:
#
#   benchmarks/gpu_check.sh
#
# 1. the synthetic data (tools/data/make_synthetic.py; an intact copy is
#    reused, a missing one is generated with one process per core);
# 2. bench_pretrain_contrastive.py: JointCon vs mmpose's TopdownPoseEstimator
#    and PeCLR vs mmpretrain's SimCLR, one training step each (ResNet-50,
#    256x192, batch 32);
# 3. bench_pretrain_dense.py: DensePose and part segmentation vs
#    TopdownPoseEstimator, the same sizes;
# 4. the default study's CUDA profile, `tools/study.py
#    configs/study/demo_synthetic.py --profile cuda`, shortened to one seed
#    and 100 pre-training / 100 fine-tuning iterations per run, in its own
#    work root. The runs' lengths are dotted keys of the stages' cfg_options,
#    which --cfg-options cannot reach, so a study config that inherits the
#    default one is written next to the work root;
# 5. one markdown table (benchmarks/gpu_check_table.py): the study's stages
#    and times, each step against its peer, the data-loading share of every
#    training run of the study (mean data_time / mean time of its MMEngine
#    log), the wall time; printed and written to
#    work_dirs/gpu_check/gpu_check.md under the name of the GPU.
#
# The 8 minutes (GPU_CHECK_BUDGET=480 s) are kept with `timeout`: the data
# and the benchmarks have fixed limits, the study gets what is left (so it
# runs last) and, cut short, is reported with the stages it finished. The
# study starts afresh every time (GPU_CHECK_KEEP=1 resumes the last one).
#
# Environment: PYTHON (default .venv/bin/python when present, else python),
# GPU_CHECK_ROOT (work_dirs/gpu_check), GPU_CHECK_BUDGET, GPU_CHECK_BATCH
# (32), GPU_CHECK_PRETRAIN_ITERS and GPU_CHECK_FINETUNE_ITERS (100),
# GPU_CHECK_KEEP, GPU_CHECK_ALLOW_CPU=1 (no CUDA device: the same steps at a
# tiny size on the CPU, with no time limit; a smoke run, not a measurement).
#
# Exit status: 0 every part finished (a target not met is a result, shown in
# the table); 1 a part failed or ran past its limit; 2 no CUDA device.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PYTHON:-}" ]; then
    PYTHON=python
    if [ -x .venv/bin/python ]; then
        PYTHON=.venv/bin/python
    fi
fi
ROOT=${GPU_CHECK_ROOT:-work_dirs/gpu_check}
START=$SECONDS

GPU=$("$PYTHON" -c '
import torch
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print(f"{p.name} ({p.total_memory / 2**30:.0f} GiB), torch "
          f"{torch.__version__}, CUDA {torch.version.cuda}")')
if [ -n "$GPU" ]; then
    DEVICE=$GPU
    BUDGET=${GPU_CHECK_BUDGET:-480}
    PRE_ITERS=${GPU_CHECK_PRETRAIN_ITERS:-100}
    FT_ITERS=${GPU_CHECK_FINETUNE_ITERS:-100}
    DEPTH=50 INPUT=256x192 BATCH=${GPU_CHECK_BATCH:-32}
    REPS=20 WARMUP=3 POINTS=100
    DATA_LIMIT=90 CONTRASTIVE_LIMIT=90 DENSE_LIMIT=75
elif [ "${GPU_CHECK_ALLOW_CPU:-0}" = 1 ]; then
    DEVICE="the CPU (GPU_CHECK_ALLOW_CPU=1: a smoke run at a tiny size, \
not a measurement)"
    BUDGET=${GPU_CHECK_BUDGET:-86400}
    PRE_ITERS=${GPU_CHECK_PRETRAIN_ITERS:-2}
    FT_ITERS=${GPU_CHECK_FINETUNE_ITERS:-2}
    DEPTH=18 INPUT=64x64 BATCH=${GPU_CHECK_BATCH:-2}
    REPS=2 WARMUP=1 POINTS=10
    DATA_LIMIT=$BUDGET CONTRASTIVE_LIMIT=$BUDGET DENSE_LIMIT=$BUDGET
else
    echo "gpu_check: no CUDA device (torch.cuda.is_available() is False" \
        "for $PYTHON). This check measures a GPU: run it on a machine with" \
        "one, or set GPU_CHECK_ALLOW_CPU=1 for a smoke run at a tiny size" \
        "on the CPU." >&2
    exit 2
fi
echo "gpu_check on $DEVICE; budget $BUDGET s; work root $ROOT"

mkdir -p "$ROOT"
PARTS=$ROOT/parts.tsv
: > "$PARTS"
FAILED=0

# run_part NAME LIMIT LOG COMMAND...: COMMAND under `timeout` (--foreground,
# so that Ctrl-C still reaches it; the study stops its own stages on
# SIGTERM), its output in LOG; NAME, seconds, exit status, limit and LOG
# appended to $PARTS for the table.
run_part() {
    local name=$1 limit=$2 log=$3 start=$SECONDS status=0
    shift 3
    echo "== $name (limit $limit s, log $log)"
    timeout --foreground --kill-after=15 "$limit" "$@" > "$log" 2>&1 \
        || status=$?
    local took=$((SECONDS - start))
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$took" "$status" "$limit" "$log" \
        >> "$PARTS"
    if [ "$status" = 0 ]; then
        echo "   $name: $took s"
        return 0
    fi
    FAILED=1
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        echo "   $name: ran past its $limit s; last lines of $log:" >&2
    else
        echo "   $name: failed (exit $status) after $took s; last lines" \
            "of $log:" >&2
    fi
    tail -n 15 "$log" | sed 's/^/     /' >&2
    return 1
}

skip_part() {  # NAME REASON
    printf '%s\t0\tskipped\t0\t%s\n' "$1" "$2" >> "$PARTS"
    echo "== $1: skipped ($2)" >&2
    FAILED=1
}

DATA_OK=1
run_part data "$DATA_LIMIT" "$ROOT/data.log" \
    "$PYTHON" tools/data/make_synthetic.py --out data/synthetic \
    --workers "$(nproc)" || DATA_OK=0

BENCH=(--depth "$DEPTH" --input "$INPUT" --batch "$BATCH" --reps "$REPS"
    --warmup "$WARMUP")
run_part contrastive "$CONTRASTIVE_LIMIT" \
    "$ROOT/bench_pretrain_contrastive.log" \
    "$PYTHON" benchmarks/bench_pretrain_contrastive.py "${BENCH[@]}" || true
run_part dense "$DENSE_LIMIT" "$ROOT/bench_pretrain_dense.log" \
    "$PYTHON" benchmarks/bench_pretrain_dense.py "${BENCH[@]}" \
    --points "$POINTS" || true

# The default study, shortened: one seed and PRE_ITERS / FT_ITERS iterations
# in every run of its CUDA profile (the profile's other keys are kept; the
# learning-rate schedules are left as they are, cut short), validated and
# saved at the end, logged every 10 iterations (MMEngine's window, so that
# the data share covers every iteration; every one in a smoke run).
LOG_INTERVAL=10
if [ "$PRE_ITERS" -lt 10 ] || [ "$FT_ITERS" -lt 10 ]; then
    LOG_INTERVAL=1
fi
STUDY_CFG=$ROOT/demo_synthetic_gpu_check.py
STUDY_ROOT=$ROOT/study
cat > "$STUDY_CFG" <<EOF
# Written by benchmarks/gpu_check.sh: configs/study/demo_synthetic.py at one
# seed, every run of its CUDA profile shortened to $PRE_ITERS pre-training or
# $FT_ITERS fine-tuning iterations and logged every $LOG_INTERVAL.
_base_ = ['$(realpath --relative-to="$ROOT" configs/study/demo_synthetic.py)']
study_name = 'demo_synthetic_gpu_check'
seeds = [0]
_pretrain = {
    'train_cfg.max_iters': $PRE_ITERS,
    'train_cfg.val_interval': $PRE_ITERS,
    'default_hooks.checkpoint.interval': $PRE_ITERS,
    'default_hooks.logger.interval': $LOG_INTERVAL,
}
_finetune = {
    'train_cfg.max_iters': $FT_ITERS,
    'train_cfg.val_interval': $FT_ITERS,
    'default_hooks.checkpoint.interval': $FT_ITERS,
    'default_hooks.logger.interval': $LOG_INTERVAL,
}
profiles = dict(
    cuda=dict(
        pretrain={m: dict(cfg_options=_pretrain)
                  for m in _base_.pretrain},
        finetune={r: dict(cfg_options=_finetune,
                          scratch_cfg_options=_finetune)
                  for r in _base_.finetune}))
EOF
if [ "${GPU_CHECK_KEEP:-0}" != 1 ]; then
    rm -rf "$STUDY_ROOT"
fi
# What the budget leaves, less 30 s for timeout's grace and the table.
STUDY_LIMIT=$((BUDGET - (SECONDS - START) - 30))
if [ "$DATA_OK" != 1 ]; then
    skip_part study 'the synthetic data are not ready'
elif [ "$STUDY_LIMIT" -lt 60 ]; then
    skip_part study "the budget leaves $STUDY_LIMIT s"
else
    run_part study "$STUDY_LIMIT" "$ROOT/study.log" \
        "$PYTHON" tools/study.py "$STUDY_CFG" --profile cuda \
        --work-root "$STUDY_ROOT" || true
fi

echo "== table"
"$PYTHON" benchmarks/gpu_check_table.py "$ROOT" --device "$DEVICE" \
    --study-setting "seed 0, $PRE_ITERS pre-training / $FT_ITERS fine-tuning \
iterations" \
    --bench-setting "ResNet-$DEPTH, batch $BATCH, $INPUT" \
    --budget "$BUDGET" --total-seconds "$((SECONDS - START))" \
    --out "$ROOT/gpu_check.md"
exit "$FAILED"
