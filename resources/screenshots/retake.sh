#!/usr/bin/env bash
# Retakes the README's window pictures with `convviz --screenshot`, offscreen, with settings of
# their own (nothing remembered from a person's session shows). Usage, from the repository root:
#   bash resources/screenshots/retake.sh            # every picture
#   bash resources/screenshots/retake.sh shapes-1024 xo   # only these
# (The why-occlusion/gradcam/saliency pictures come from `convviz explain`: see the README.)
set -euo pipefail
cd "$(dirname "$0")/../.."
export QT_QPA_PLATFORM=offscreen
CONVVIZ_SETTINGS_DIR=$(mktemp -d)
export CONVVIZ_SETTINGS_DIR
trap 'rm -rf "$CONVVIZ_SETTINGS_DIR"' EXIT

# name: the arguments after --screenshot OUT
declare -A PICTURES=(
  [shapes]="--preset shapes --size 1600x1000"
  [xo]="--preset xo --size 1600x1000"
  [lenet5]="--preset lenet5 --size 1600x1000"
  [xo-pooling]="--preset xo --panel pooling --size 1600x1000"
  [xo-filtering]="--preset xo --panel filtering --size 1600x1000"
  [why-panel]="--preset shapes --panel why --size 1600x1000"
  [shapes-1024]="--preset shapes --size 1024x768"
  [xo-filtering-1024]="--preset xo --panel filtering --size 1024x768"
  [cs231n-filtering]="--preset cs231n --panel filtering --size 1600x1000"
  [tinyvgg]="--preset tinyvgg --size 1600x1000"
  [resnet]="--preset resnet --size 1600x1000"
  [spectrogram]="--preset spectrogram --size 1600x1000"
  [tinyvgg-1024]="--preset tinyvgg --size 1024x768"
)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${!PICTURES[@]}")
for name in "${names[@]}"; do
  args=${PICTURES[$name]:?"no picture called $name (choose from ${!PICTURES[*]})"}
  # shellcheck disable=SC2086  # the arguments are split on purpose
  python3 -m convviz --screenshot "resources/screenshots/$name.png" $args
done
