#!/usr/bin/env bash
# Usage: apt-install.sh FILE PACKAGE — installs Debian's PACKAGE unless FILE (the program the tests
# run) is already there. Idempotent; as root, as CI runs (apt-get update only when installing).
set -euo pipefail
file="$1"
package="$2"

if [ -x "$file" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "apt-install: $file is missing and this is not root; run: sudo apt-get update && sudo apt-get install -y $package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$package" >/dev/null
test -x "$file"
echo "apt-install: $(dpkg-query -W -f='${Package} ${Version}' "$package")"
