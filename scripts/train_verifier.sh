#!/usr/bin/env bash
# Reproduce the shipped cross-encoder verifier in one command, on 2 CPU cores (no GPU):
#
#   bash scripts/train_verifier.sh [WORK_DIR]
#
# Needs the training extra (pip install '.[train]') and the data in ../shared/data (or $FACTDESK_DATA).
# Stage 1 (42 min): all-MiniLM-L6-v2 fine-tuned on FEVER + synthetic hard cases + CAD-SNLI + SciFact.
# Stage 2 (65 min): continues from stage 1's weights on a fresh, larger draw of the same sources plus
# general NLI (MultiNLI, e-SNLI), with a new schedule.
# Stage 3 (8 min): continues from stage 2 on a small draw in which 15 % of the pairs are "neutral"
# pairs whose evidence lost the sentence that settled the claim; exports the int8 ONNX model into
# the package.  Then the aggregation is recalibrated for it (under a minute).
# About 118 minutes in all on this machine (the stages' budgets include loading and export).
# Every stage checkpoints every 5 minutes: run the same command again to resume after a stop.
# The stages run in fp32, as the shipped model was trained: bf16 autocast (--precision bf16, about
# twice as fast on this CPU) would see more pairs in each time budget and give another model.
set -euo pipefail
WORK="${1:-$HOME/.cache/factdesk/verifier-recipe}"
PY="${PYTHON:-python}"
mkdir -p "$WORK"
"$PY" -m factdesk.train.cross_encoder --pairs 100000 --time-budget 42 --precision fp32 --resume \
    --out "$WORK/stage1/model" --work "$WORK/stage1/work"
"$PY" -m factdesk.train.cross_encoder --pairs 140000 --nli-share 0.12 --seed 14 --lr 2e-5 --warmup 0.03 \
    --time-budget 65 --precision fp32 --init-from "$WORK/stage1/work/checkpoint.pt" --resume \
    --out "$WORK/stage2/model" --work "$WORK/stage2/work"
"$PY" -m factdesk.train.cross_encoder --pairs 18000 --nli-share 0.12 --drop-share 0.15 --seed 16 --lr 1e-5 \
    --warmup 0.03 --time-budget 8 --precision fp32 --init-from "$WORK/stage2/work/checkpoint.pt" --resume --work "$WORK/stage3/work"
"$PY" -m factdesk.evaluate.fit_aggregation --verifier cross-encoder --out src/factdesk/models/aggregation \
    > "$WORK/calibration.json"
echo "done: src/factdesk/models/verifier-ce/ and src/factdesk/models/aggregation/cross-encoder.json" >&2
