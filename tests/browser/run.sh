#!/bin/sh
# Browser tests of the admin console (headless Chromium + playwright-core).
#   MAILTEE_BIN=build/admin/mailtee tests/browser/run.sh
# Needs: Debian chromium, nodejs + npm, python3-aiosmtpd. Builds nothing.
# Installs playwright-core from the lock file when node_modules is missing.
# Prints "N passed, N failed"; exits non-zero on failure. Screenshots:
# tests/browser/artifacts/*.png.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${MAILTEE_BIN:-}" ]; then
  echo "run.sh: set MAILTEE_BIN to the mailtee binary" >&2
  echo "0 passed, 1 failed"
  exit 2
fi
for tool in node npm /usr/bin/python3 "${CHROMIUM:-/usr/bin/chromium}"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run.sh: $tool is missing (apt-get install -y chromium nodejs npm python3-aiosmtpd)" >&2
    echo "0 passed, 1 failed"
    exit 2
  fi
done
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec /usr/bin/python3 "$here/harness.py"
