#!/usr/bin/env bash
# Installs the Debian libraries Qt needs, when they are missing and we are root.
# Usage: scripts/system-deps.sh [--xvfb]   (--xvfb adds what a visible window under
# Xvfb needs, plus Xvfb and ImageMagick's import for screenshots).
set -euo pipefail
pkgs=(libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3)
if [[ "${1:-}" == "--xvfb" ]]; then
    pkgs+=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
           libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxkbcommon-x11-0 xvfb x11-utils
           imagemagick fonts-dejavu-core)
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system-deps: not a Debian system; install these yourself if Qt fails to start: ${pkgs[*]}" >&2
    exit 0
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
    echo "system-deps: missing Debian packages: ${missing[*]}" >&2
    echo "system-deps: run  sudo apt-get install ${missing[*]}" >&2
    exit 0
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
