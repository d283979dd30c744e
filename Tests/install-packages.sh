#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when they are missing (as root, or through sudo).
# Each file in Tests/Services/ may name more in a line `# packages: a b c`.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libxml2-dev libyaml-dev pkg-config)
for service in Tests/Services/*.sh; do
  [ -e "$service" ] || continue
  read -r -a extra <<<"$(sed -n 's/^# packages: //p' "$service")"
  packages+=("${extra[@]}")
done

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
