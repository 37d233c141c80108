#!/usr/bin/env bash
# Installs whatever is missing, and nothing else: Debian packages for headless Chromium with
# Mesa's GL (as root; otherwise it prints the command), the npm packages, and the CLI bundle.
# Fast when everything is there, so `npm run demo` and `npm test` call it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'robosynth setup: %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is needed (found $(node --version))"; exit 1
fi

# --- Debian packages: Chromium and Mesa's EGL/GL drivers (llvmpipe renders WebGL2 on the CPU).
apt_packages=(chromium libegl1 libegl-mesa0 libgl1-mesa-dri libgles2 fonts-liberation)
have_browser() { [ -n "${ROBOSYNTH_CHROMIUM:-}" ] && [ -x "${ROBOSYNTH_CHROMIUM}" ] || [ -x /usr/bin/chromium ]; }
# shellcheck source=scripts/debian.sh
. scripts/debian.sh
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  [ -n "${ROBOSYNTH_CHROMIUM:-}" ] && apt_packages=("${apt_packages[@]:1}")  # a browser of one's own
  mapfile -t missing < <(debian_missing "${apt_packages[@]}")
elif ! have_browser; then
  missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if debian_can_install; then
    say "installing Debian packages: ${missing[*]}"
    debian_install "${missing[@]}"
  elif ! have_browser; then
    say "missing Debian packages: ${missing[*]}"
    say "install them with:  sudo apt-get install -y ${missing[*]}"
    say "(or point ROBOSYNTH_CHROMIUM at a Chromium/Chrome binary)"
    exit 1
  else
    say "note: missing ${missing[*]}; rendering may fall back to SwiftShader (slower)"
  fi
fi

# --- npm packages. Never download a browser or CUDA libraries: the system provides what we need.
export PUPPETEER_SKIP_DOWNLOAD=1 ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# --- The CLI bundle (dist/cli.js, dist/refine-worker.js), rebuilt when any source is newer.
if [ ! -f dist/cli.js ] || [ ! -f dist/refine-worker.js ] || [ ! -f dist/sensor-worker.js ] || [ -n "$(find src package.json -newer dist/cli.js -print -quit)" ]; then
  node scripts/build.mjs
fi
