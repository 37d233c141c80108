# Shared by scripts/setup.sh and scripts/setup-python.sh (sourced, not run).
# debian_missing PKG...: prints the packages dpkg does not have installed, one per line.
debian_missing() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$pkg"
  done
}
# debian_can_install: true when this shell may run apt-get (root on a Debian-like system).
debian_can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
# debian_install PKG...: installs them quietly, without recommended packages.
debian_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
