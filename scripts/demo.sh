#!/usr/bin/env bash
# `npm run demo [-- SCENE [FRAMES]]`: set up whatever is missing, then render a small dataset
# of SCENE (default scenes/tabletop.yaml) into out/<scene name>, and say where it is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
scene="${1:-scenes/tabletop.yaml}"
frames="${2:-20}"
name="$(basename "$scene")"
name="${name%.*}"
node bin/robosynth.js render "$scene" --frames "$frames" --out "out/$name"
