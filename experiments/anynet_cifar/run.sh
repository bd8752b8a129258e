#!/usr/bin/env bash
# The AnyNetX A->E / RegNetX reproduction on CIFAR-10, every step in order (see REPORT.md).
# Each study resumes where it stopped: run this again after an interruption.
#
#   bash experiments/anynet_cifar/run.sh calibration   # 3 x 32 AnyNetX-A models, ~1.8 h on 2 cores
#   bash experiments/anynet_cifar/run.sh populations   # 6 x 100 models (two rounds of 50), ~8 h on 2 cores
#   bash experiments/anynet_cifar/run.sh supplement    # RegNetX with b free (100 models, ~0.7 h)
#   bash experiments/anynet_cifar/run.sh report        # tables, plots, REPORT.md, the HTML report
#   bash experiments/anynet_cifar/run.sh               # all four
#
# Extra arguments go to every `designspace study run` (e.g. --device cuda, --workers 4).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=experiments/anynet_cifar
out=results/anynet_cifar
step=${1:-all}
shift || true

calibration() {
  # attempts e1-e4 (one training per model: 1, 2, 3 epochs over a 20k subset, 1 epoch over all 50k)
  # came before; their studies are in results/ as they ended:
  #   python "$here/calibrate.py" --attempt e1
  #   python "$here/calibrate.py" --attempt e2
  #   python "$here/calibrate.py" --attempt e3 --partial
  #   python "$here/calibrate.py" --attempt e4 --partial
  # e5 (two trainings of e1's budget per model) reuses e1's 4x study: calibration_e5_long.toml is it
  for v in seed0 seed1 long; do
    designspace study run "$here/calibration_e5_$v.toml" --results "$out/calibration" "$@"
  done
  python "$here/calibrate.py" --attempt e5
}

populations() {
  # Two rounds: every space gets its first 50 models before any gets 100, so a run cut off at any
  # point leaves six comparable populations (round two continues the same samples; --trials 50 on
  # a study that already has more does nothing).
  for n in 50 100; do
    for s in anynetx_a anynetx_b anynetx_c anynetx_d anynetx_e regnetx; do
      designspace study run "$here/$s.toml" --results "$out" --trials "$n" "$@"
    done
  done
}

supplement() {
  # beside the six: RegNetX with the bottleneck ratio drawn from {1, 2, 4} instead of fixed at 1
  designspace study run "$here/regnetx_b.toml" --results "$out" "$@"
}

report() {
  python "$here/report.py"
}

case "$step" in
  calibration) calibration "$@" ;;
  populations) populations "$@" ;;
  supplement) supplement "$@" ;;
  report) report ;;
  all) calibration "$@"; populations "$@"; supplement "$@"; report ;;
  *) echo "usage: run.sh [calibration|populations|supplement|report|all] [study run options]" >&2; exit 2 ;;
esac
