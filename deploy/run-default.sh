#!/usr/bin/env bash
# One command: install dependencies, build, and run mailtee in the foreground on
# its embedded default config (loopback listeners, no provider yet — it tells
# you what to configure). Pass a config file to use it instead:
#   deploy/run-default.sh [/etc/mailtee/mailtee.xml]
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
bash deploy/build.sh release mailtee
if [[ $# -ge 1 ]]; then
  exec build/admin/mailtee run --config "$1"
fi
exec build/admin/mailtee run
