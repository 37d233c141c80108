#!/usr/bin/env bash
# The Debian packages the refiner's Python scripts need (scripts/refiner/train.py, realism.py):
# PyTorch, ONNX, NumPy, Pillow, scikit-image's sample photos (refiner training) and opencv-doc's
# sample photos (the realism classifier's held-out real photos). Installs what is missing as root,
# otherwise prints the apt-get line. Run the scripts with /usr/bin/python3, Debian's interpreter.
# Not part of `npm test`: only training and `npm run bench:refine` need it.
set -euo pipefail
say() { printf 'robosynth setup-python: %s\n' "$*" >&2; }
packages=(python3 python3-torch python3-onnx python3-numpy python3-pil python3-skimage opencv-doc)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing Debian packages: ${missing[*]}"
    say "install them with:  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi
/usr/bin/python3 -c 'import torch, onnx, numpy, PIL, skimage' || { say "Debian's /usr/bin/python3 cannot import torch, onnx, numpy, PIL and skimage"; exit 1; }
