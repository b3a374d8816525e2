#!/usr/bin/env bash
# Installs OpenSSH's sshd for the SFTP integration/e2e tests (they start a real, private sshd on
# 127.0.0.1). Idempotent: does nothing when /usr/sbin/sshd is already there. The package may start
# a system sshd on port 22; the tests never use it.
set -euo pipefail
exec bash "$(dirname "$0")/apt-install.sh" /usr/sbin/sshd openssh-server
