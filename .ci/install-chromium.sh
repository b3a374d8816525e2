#!/usr/bin/env bash
# Installs Debian's Chromium for the report browser test (test/e2e/report-html.browser.test.ts) and
# `npm run report:screenshot`, which drive it headless through playwright-core. Playwright's own
# browser downloads are never used: only Debian's package. Idempotent: does nothing when
# /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: /usr/bin/chromium is missing and this is not root; run: sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
test -x /usr/bin/chromium
echo "install-chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
