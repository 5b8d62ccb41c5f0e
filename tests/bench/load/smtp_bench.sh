#!/usr/bin/env bash
# SMTP proxy load benchmark: Postfix's smtp-source against smtp-sink, straight,
# through haproxy (a plain TCP relay: what any proxy costs here, with no
# protocol or archive work), through mailtee's relay alone (mailtee_relay_only:
# the same proxy with a sink that drops the bytes) and through mailtee, in the
# same run (plain TCP on loopback, one message per session as smtp-source does
# by default).
#
#   1 KB, 10 KB, 100 KB messages  N each (2,000; 1,000 when MAILTEE_BENCH_QUICK=1),
#                                 20 concurrent sessions     -> msgs/s direct, via haproxy, via
#                                 relay-only, via mailtee; mailtee/direct (the target),
#                                 haproxy/direct and relay-only/direct
#   one big message               50 MB (10 MB quick)        -> seconds both ways, and
#                                 mailtee's peak RSS (VmHWM) growth while relaying it
#
# Rounds: one measurement on a small shared VM swings a lot (whether client
# and server land on one CPU or two changes the cost of every wake-up), so
# each size runs ROUNDS rounds of direct -> haproxy -> relay-only -> mailtee back to back
# and the table shows the median msgs/s of each leg, the ratios of those
# medians, and the min-max of the rounds' own mailtee/direct ratios ("per
# round": how far one measurement can be trusted). The same sink, haproxy and
# mailtee serve every round: sent mail is archived anew each time (no dedupe).
# The big message is a single run.
#
# mailtee's listener: tls="none", upstream tls="none" to the sink,
# auth mode="none" with <allow network="127.0.0.1/32"/>: smtp-source cannot
# AUTH and smtp-sink answers AUTH with 250 instead of 235, so neither
# passthrough nor account mode can run against it; mode="none" relays without
# AUTH, as for a provider that authorizes by the office's IP address.
# max-connections-per-ip="0" (no cap): smtp-source reconnects the moment it
# has the QUIT reply, before mailtee has released the previous connection, so
# 20 sessions against the default cap of 20 would see "421 too many connections".
# The archive (storage dir) lives under $MAILTEE_BENCH_DIR (default /var/tmp:
# on disk like /var/lib/mailtee, unlike a tmpfs /tmp), so every message pays
# its real fsyncs.
#
# Env: MAILTEE_BIN (default build/admin/mailtee), MAILTEE_RELAY_ONLY_BIN (default
# build/tests/mailtee_relay_only next to it), MAILTEE_BENCH_QUICK=1 for the
# cut-down sizes, MAILTEE_BENCH_ROUNDS (default 3, at least 1). Without a mailtee binary only the direct half runs (exit 0,
# says so); a mailtee that fails to relay makes the script exit 1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
MAILTEE_BIN=${MAILTEE_BIN:-$repo/build/admin/mailtee}
quick=${MAILTEE_BENCH_QUICK:-0}
if [[ $quick == 1 ]]; then count=1000; big=$((10 * 1024 * 1024)); else count=2000; big=$((50 * 1024 * 1024)); fi
sessions=20
sizes=(1024 10240 102400)
rounds=${MAILTEE_BENCH_ROUNDS:-3}
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
  echo "MAILTEE_BENCH_ROUNDS must be a whole number >= 1, not '$rounds'" >&2
  exit 2
fi

work=$(mktemp -d "${MAILTEE_BENCH_DIR:-/var/tmp}"/mailtee-smtp-bench-XXXXXX)
chmod 755 "$work"
# Started as root, mailtee serves as the `mailtee` system account (docs/config.md "<daemon>").
if [[ $(id -u) -eq 0 ]] && ! getent passwd mailtee >/dev/null; then
  useradd --system --home-dir /var/lib/mailtee --no-create-home --shell /usr/sbin/nologin mailtee
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

free_ports() {
  /usr/bin/python3 -c "import sys; sys.path.insert(0, '$repo/tests/interop'); from netutil import free_ports; print(*free_ports($1))"
}
wait_port() {  # port [pid]
  for _ in $(seq 200); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
    if [[ -n ${2:-} ]] && ! kill -0 "$2" 2>/dev/null; then return 1; fi
    sleep 0.05
  done
  return 1
}
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v m="$1" -v d="$2" 'BEGIN { if (d > 0) printf "%.2f", m / d; else print "n/a" }'; }
# median RATE... -> the middle value (mean of the two middle ones for an even count)
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) printf "%.1f", v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# spread MAILTEE_RATES DIRECT_RATES -> "min–max" of the per-round ratios ("0.42" for one round)
spread() {
  local -a m=($1) d=($2)
  local i
  for i in "${!m[@]}"; do ratio "${m[$i]}" "${d[$i]}"; echo; done | sort -g |
    awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (lo == hi) print lo; else print lo "–" hi }'
}

# send PORT MSGS SIZE SESSIONS -> prints elapsed "start end" or fails
send() {
  local out="$work/source.out" t0 t1
  t0=$(now)
  if ! smtp-source -s "$4" -m "$2" -l "$3" -f bench@example.test -t sink@example.test \
       -M client.example.test 127.0.0.1:"$1" >"$out" 2>&1; then
    echo "smtp-source to port $1 failed: $(tail -3 "$out")" >&2
    return 1
  fi
  t1=$(now)
  echo "$t0 $t1"
}

read -r sink_port mailtee_port relay_port relay_only_port < <(free_ports 4)
smtp-sink -u nobody 127.0.0.1:"$sink_port" 1024 >"$work/sink.log" 2>&1 &
pids+=($!)
wait_port "$sink_port" "${pids[-1]}" || { echo "smtp-sink did not start"; cat "$work/sink.log"; exit 1; }

# The reference relay: haproxy in TCP mode, foreground (-db), killed by PID.
have_relay=0
if command -v haproxy >/dev/null 2>&1; then
  cat >"$work/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend bench
  bind 127.0.0.1:$relay_port
  default_backend sink
backend sink
  server sink 127.0.0.1:$sink_port
CFG
  haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
  pids+=($!)
  if wait_port "$relay_port" "${pids[-1]}"; then have_relay=1; else echo "note: haproxy did not start: $(tail -3 "$work/haproxy.log")"; fi
else
  echo "note: haproxy not installed: no reference relay column"
fi

# write_config DIR PORT: DIR/mailtee.xml, a listener on PORT relaying to the
# sink, storage in DIR/storage (mailtee and the relay-only leg each get one).
write_config() {
  mkdir -p "$1"
  cat >"$1/mailtee.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<mailtee>
  <storage dir="$1/storage"/>
  <listener name="bench" protocol="smtp" address="127.0.0.1" port="$2" tls="none" max-connections-per-ip="0">
    <upstream host="127.0.0.1" port="$sink_port" tls="none" verify="false"/>
    <auth mode="none"/>
    <allow network="127.0.0.1/32"/>
  </listener>
</mailtee>
XML
}

have_mailtee=0
mailtee_pid=
if [[ -x $MAILTEE_BIN ]]; then
  write_config "$work/mailtee" "$mailtee_port"
  "$MAILTEE_BIN" run --config "$work/mailtee/mailtee.xml" >"$work/mailtee/mailtee.log" 2>&1 &
  mailtee_pid=$!
  pids+=("$mailtee_pid")
  if wait_port "$mailtee_port" "$mailtee_pid"; then
    have_mailtee=1
  else
    echo "mailtee did not start:"; tail -20 "$work/mailtee/mailtee.log"; exit 1
  fi
else
  echo "note: $MAILTEE_BIN not built: measuring the direct half only"
fi

# Relay-only: the same daemon and listener with the archive replaced by a sink
# that drops the bytes (tests/bench/load/relay_only_main.cc); mailtee against
# it is what archiving costs, it against haproxy what mailtee's relay costs.
have_relay_only=0
RELAY_ONLY_BIN=${MAILTEE_RELAY_ONLY_BIN:-$(dirname "$(dirname "$MAILTEE_BIN")")/tests/mailtee_relay_only}
if [[ $have_mailtee == 1 && -x $RELAY_ONLY_BIN ]]; then
  write_config "$work/relay-only" "$relay_only_port"
  "$RELAY_ONLY_BIN" run --config "$work/relay-only/mailtee.xml" >"$work/relay-only/mailtee.log" 2>&1 &
  pids+=($!)
  if wait_port "$relay_only_port" "${pids[-1]}"; then have_relay_only=1; else echo "note: relay-only did not start: $(tail -3 "$work/relay-only/mailtee.log")"; fi
elif [[ $have_mailtee == 1 ]]; then
  echo "note: $RELAY_ONLY_BIN not built: no relay-only column"
fi

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load average at start: $(loadavg) ($(nproc) CPUs; the machine may be shared)"
status=0
# cell WIDTH TEXT: right-aligned by characters, not bytes (the en dash is 3 bytes)
cell() { local t=$2 w=$1; [[ $t == *–* ]] && w=$((w + 2)); printf " %${w}s" "$t"; }
row() {  # label direct haproxy mailtee mailtee/direct haproxy/direct relay-only/direct per-round
  printf '%-22s' "$1"; cell 10 "$2"; cell 10 "$3"; cell 10 "$4"; cell 15 "$5"; cell 15 "$6"; cell 18 "$7"; cell 11 "$8"; echo
}
echo "each size: $rounds round(s) of direct -> haproxy -> relay-only -> mailtee; msgs/s and ratios are of the medians"
row "smtp (${sessions} sessions)" "direct/s" "haproxy/s" "mailtee/s" "mailtee/direct" "haproxy/direct" "relay-only/direct" "per-round"
for size in "${sizes[@]}"; do
  directs=() relays=() relay_onlys=() vias=()
  relay_ok=$have_relay relay_only_ok=$have_relay_only mailtee_ok=$have_mailtee
  for ((round = 1; round <= rounds; round++)); do
    read -r a b < <(send "$sink_port" "$count" "$size" "$sessions") || { status=1; continue 2; }
    directs+=("$(rate "$count" "$a" "$b")")
    if [[ $relay_ok == 1 ]]; then
      if read -r a b < <(send "$relay_port" "$count" "$size" "$sessions"); then
        relays+=("$(rate "$count" "$a" "$b")")
      else
        relay_ok=0   # the reference column goes blank; not mailtee's failure
      fi
    fi
    if [[ $relay_only_ok == 1 ]]; then
      if read -r a b < <(send "$relay_only_port" "$count" "$size" "$sessions"); then
        relay_onlys+=("$(rate "$count" "$a" "$b")")
      else
        relay_only_ok=0   # a reference column too: blank, with the log below
        echo "note: relay-only failed: $(tail -3 "$work/relay-only/mailtee.log")"
      fi
    fi
    if [[ $mailtee_ok == 1 ]]; then
      if read -r a b < <(send "$mailtee_port" "$count" "$size" "$sessions"); then
        vias+=("$(rate "$count" "$a" "$b")")
      else
        mailtee_ok=0; status=1   # no more mailtee rounds for this size: the column says FAILED
      fi
    fi
  done
  direct=$(median "${directs[@]}")
  relay="-"; rr="-"
  if [[ $relay_ok == 1 ]]; then relay=$(median "${relays[@]}"); rr=$(ratio "$relay" "$direct"); fi
  ror="-"
  if [[ $relay_only_ok == 1 ]]; then ror=$(ratio "$(median "${relay_onlys[@]}")" "$direct"); fi
  via="-"; r="-"; spread_col="-"
  if [[ $have_mailtee == 1 && $mailtee_ok == 0 ]]; then
    via="FAILED"
  elif [[ $mailtee_ok == 1 ]]; then
    via=$(median "${vias[@]}"); r=$(ratio "$via" "$direct")
    spread_col=$(spread "${vias[*]}" "${directs[*]}")
  fi
  row "$count x $((size / 1024)) KB" "$direct" "$relay" "$via" "$r" "$rr" "$ror" "$spread_col"
done

read -r a b < <(send "$sink_port" 1 "$big" 1) || status=1
direct_big=$(secs "$a" "$b")
line="1 x $((big / 1048576)) MB: direct ${direct_big}s"
if [[ $have_mailtee == 1 ]]; then
  status_kb() { awk -v f="$1:" '$1 == f { print $2 }' /proc/"$mailtee_pid"/status; }
  # Reset the peak (VmHWM) to the current RSS, so the peak after the send is
  # the peak during this message, not the earlier 20-session runs.
  echo 5 >/proc/"$mailtee_pid"/clear_refs 2>/dev/null || echo "note: cannot reset VmHWM; the peak includes the earlier runs"
  before=$(status_kb VmRSS)
  if read -r a b < <(send "$mailtee_port" 1 "$big" 1); then
    after=$(status_kb VmHWM)
    growth=$((after - before))
    line+=", mailtee $(secs "$a" "$b")s; mailtee RSS ${before} kB, peak during the message ${after} kB (+${growth} kB; target < 16384 kB)"
  else
    line+=", mailtee FAILED"; status=1
  fi
fi
echo "$line"
echo "load average at end: $(loadavg)"
echo "targets: mailtee/direct >= 0.80 at 10 KB; RSS growth < 16 MiB for the big message (a single run)"
echo "(per-round: lowest–highest mailtee/direct of the single rounds: the spread one measurement would show)"
echo "(haproxy/direct: a relay that only copies bytes, on the same 2 CPUs: the ceiling for any proxy in this setup)"
echo "(relay-only/direct: mailtee's proxy with the archive replaced by a sink that drops the bytes, so mailtee/relay-only is what archiving costs)"
if [[ $have_mailtee == 1 ]] && ! kill -0 "$mailtee_pid" 2>/dev/null; then
  echo "mailtee died during the run:"; tail -20 "$work/mailtee/mailtee.log"; status=1
fi
if [[ $status != 0 && -f $work/mailtee/mailtee.log ]]; then
  echo "mailtee log tail:"; tail -20 "$work/mailtee/mailtee.log"
fi
exit $status
