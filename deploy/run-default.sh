#!/usr/bin/env bash
# One command: install dependencies, build, and run mailtee in the foreground on
# its embedded default config (loopback listeners, no provider yet — it tells
# you what to configure). Pass a config file to use it instead:
#   deploy/run-default.sh [/etc/mailtee/mailtee.xml]
# Run as root, mailtee gives its storage to the `mailtee` system account and
# serves as that user (docs/config.md "<daemon>"); this script creates the
# account when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
bash deploy/build.sh release mailtee
if [[ $(id -u) -eq 0 ]] && ! getent passwd mailtee >/dev/null; then
  echo "run-default: creating the system user 'mailtee' (mailtee does not serve clients as root)"
  useradd --system --home-dir /var/lib/mailtee --no-create-home --shell /usr/sbin/nologin mailtee
fi
if [[ $# -ge 1 ]]; then
  exec build/admin/mailtee run --config "$1"
fi
exec build/admin/mailtee run
