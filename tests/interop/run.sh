#!/usr/bin/env bash
# Runs the interop suite (real Dovecot + Postfix on loopback, with and without
# mailtee in between). Installs nothing: the top-level test script installs
# the Debian packages (dovecot-pop3d, postfix, swaks, curl, fetchmail,
# python3-pytest, libnet-ssleay-perl for swaks TLS). Needs root.
#
#   tests/interop/run.sh [pytest args...]      e.g. -k smtp, -x
#   MAILTEE_BIN=/path/to/mailtee tests/interop/run.sh
#
# Exit status: 0 when everything that ran passed (tests whose mailtee binary
# is missing are skipped with the reason), non-zero otherwise.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${MAILTEE_BIN:=$repo/build/admin/mailtee}"
export MAILTEE_BIN
cd "$here"
export PYTHONDONTWRITEBYTECODE=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# -p no:cacheprovider: no .pytest_cache in the source tree; -rs: print skip reasons
/usr/bin/python3 -m pytest -q -rs -p no:cacheprovider "$@" . 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# -q prints its closing counts bare; repeat them framed the way tests/run-all.sh
# (and humans skimming a long CI log) look for them.
summary=$(grep -E "^[0-9]+ (passed|failed|skipped|error|deselected).* in [0-9.]+s" "$log" | tail -1)
[ -n "$summary" ] && echo "===== interop: $summary ====="
if [ "$status" -eq 0 ]; then
  echo "interop: PASS"
else
  echo "interop: FAIL (pytest exit $status)"
fi
exit "$status"
