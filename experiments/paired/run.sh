#!/usr/bin/env bash
# The paired measurement of issue 22, resumable: run it again to continue where it stopped.
#   1. the paired study (40 pairs x 2 members x 2 trainings, ~1-2 core-hours on this CPU);
#   2. designspace analyze of it (results/paired/analyze/);
#   3. trainings per CI width, paired vs the independent populations of results/anynet_cifar/
#      (results/paired/measure.json).
set -euo pipefail
cd "$(dirname "$0")/../.."
designspace study run experiments/paired/sort_depths.toml --results results/paired "$@"
designspace analyze sort_depths --storage sqlite:///results/paired/paired.db --out results/paired/analyze
python experiments/paired/measure.py --storage sqlite:///results/paired/paired.db --study sort_depths \
    --before results/anynet_cifar/anynetx_d.csv --after results/anynet_cifar/anynetx_e.csv \
    --pairs-out results/paired/sort_depths_pairs.csv | tee results/paired/measure.json
