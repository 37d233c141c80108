#!/usr/bin/env bash
# The Debian packages the refiner's Python scripts need (scripts/refiner/train.py, realism.py):
# PyTorch, ONNX, NumPy, Pillow, scikit-image's sample photos (refiner training) and opencv-doc's
# sample photos (the realism classifier's held-out real photos). Installs what is missing as root,
# otherwise prints the apt-get line. Run the scripts with /usr/bin/python3, Debian's interpreter.
# Not part of `npm test`: only training and `npm run bench:refine` need it.
set -euo pipefail
say() { printf 'robosynth setup-python: %s\n' "$*" >&2; }
packages=(python3 python3-torch python3-onnx python3-numpy python3-pil python3-skimage opencv-doc)
cd "$(dirname "$0")/.."
# shellcheck source=scripts/debian.sh
. scripts/debian.sh
mapfile -t missing < <(debian_missing "${packages[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  if debian_can_install; then
    say "installing Debian packages: ${missing[*]}"
    debian_install "${missing[@]}"
  else
    say "missing Debian packages: ${missing[*]}"
    say "install them with:  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi
/usr/bin/python3 -c 'import torch, onnx, numpy, PIL, skimage' || { say "Debian's /usr/bin/python3 cannot import torch, onnx, numpy, PIL and skimage"; exit 1; }
