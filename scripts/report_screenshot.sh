#!/usr/bin/env bash
# Render a colim report in headless Chromium (Debian package `chromium`) and save a PNG of the page,
# to check by eye what a chemist sees, including the WebGL 3D view (software rendering: SwiftShader).
#
#   scripts/report_screenshot.sh REPORT.html [OUT.png] [WIDTHxHEIGHT]
#
# Without arguments it makes a small real report first (the shipped Au25 core, its single-atom edits
# remove / substitute:Ag / add:Cu, screened by the shipped model against the shipped ligand library,
# top 5) in ${WORK:-/tmp/colim-report-shot} and screenshots that. Needs: apt-get install chromium.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${WORK:-/tmp/colim-report-shot}"
report="${1:-}"
out="${2:-$work/report.png}"
size="${3:-1400x3000}"
mkdir -p "$work"
if [[ -z "$report" ]]; then
  lib="$repo/libraries"
  colim edit enumerate "$lib/cores/au25_core.xyz" --ops remove,substitute:Ag,add:Cu --tol 0.2 --include-parent \
    -o "$work/edits.h5" --overwrite --silent >/dev/null
  colim library cores "$work/edits.h5" -o "$work/cores.h5" --model "$lib/models/default" --overwrite --silent >/dev/null
  colim screen --core-lib "$work/cores.h5" -o "$work/hits.csv" --top-k 5 --train-dataset "$lib/dataset/shared_structures.h5" \
    --overwrite --silent
  colim report "$work/hits.csv" -o "$work/report.html" --overwrite
  report="$work/report.html"
fi
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [[ -z "$browser" ]]; then
  echo "Error: no chromium found; install it with: apt-get install -y chromium" >&2
  exit 1
fi
# --virtual-time-budget lets the page's scripts (3Dmol.js) finish before the shot.
"$browser" --headless --no-sandbox --use-angle=swiftshader --enable-unsafe-swiftshader --hide-scrollbars \
  --window-size="${size/x/,}" --virtual-time-budget=5000 --screenshot="$out" "file://$(realpath "$report")" 2>/dev/null
echo "wrote $out"
