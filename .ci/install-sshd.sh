#!/usr/bin/env bash
# Installs OpenSSH's sshd for the SFTP integration/e2e tests (they start a real, private sshd on
# 127.0.0.1). Idempotent: does nothing when /usr/sbin/sshd is already there.
set -euo pipefail

if [ -x /usr/sbin/sshd ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-sshd: /usr/sbin/sshd is missing and this is not root; run: sudo apt-get update && sudo apt-get install -y openssh-server" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
# The package may start a system sshd on port 22; the tests never use it.
test -x /usr/sbin/sshd
echo "install-sshd: $(/usr/sbin/sshd -V 2>&1 | head -1)"
