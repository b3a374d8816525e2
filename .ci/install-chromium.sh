#!/usr/bin/env bash
# Installs Debian's Chromium for the report browser test (test/e2e/report-html.browser.test.ts) and
# `npm run report:screenshot`, which drive it headless through playwright-core. Playwright's own
# browser downloads are never used: only Debian's package. Idempotent: does nothing when
# /usr/bin/chromium is already there.
set -euo pipefail
exec bash "$(dirname "$0")/apt-install.sh" /usr/bin/chromium chromium
