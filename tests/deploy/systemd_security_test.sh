#!/usr/bin/env bash
# deploy/mailtee.service must stay hardened (issue 13 item 18): the overall
# exposure of `systemd-analyze security` at most 2.0 ("OK"), and the daemon
# runs as its own user with CAP_NET_BIND_SERVICE as its only capability.
# Registered with ctest when systemd-analyze is installed (tests/CMakeLists.txt).
set -uo pipefail
unit="${1:-$(cd "$(dirname "$0")/../.." && pwd)/deploy/mailtee.service}"
max_exposure="2.0"
out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
line=$(grep -E "Overall exposure level" <<<"$out" | tail -1)
score=$(grep -oE "[0-9]+\.[0-9]+" <<<"$line" | head -1)
status=0
if [[ -z "$score" ]]; then
  echo "FAIL: no exposure level from systemd-analyze:"; echo "$out"; exit 1
fi
if awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s > m) }'; then
  echo "FAIL: $line (at most $max_exposure allowed); what is still exposed:"
  grep -E "^✗" <<<"$out"
  status=1
fi
for want in "User=mailtee" "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" "AmbientCapabilities=CAP_NET_BIND_SERVICE"; do
  grep -qx "$want" "$unit" || { echo "FAIL: $unit lacks the line $want"; status=1; }
done
[[ $status -eq 0 ]] && echo "ok: $line"
exit $status
