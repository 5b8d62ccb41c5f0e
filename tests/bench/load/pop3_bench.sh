#!/usr/bin/env bash
# POP3 proxy load benchmark: N x 10 KB and M x 1 MB messages RETRieved from a
# real Dovecot directly and through mailtee in the same run; msgs/s, MB/s and
# the ratios (and a haproxy reference relay). Sizes: 2,000 x 10 KB and 200 x 1 MB (1,000 / 30 with
# MAILTEE_BENCH_QUICK=1). Needs root (starts Dovecot). Details: pop3_bench.py.
set -uo pipefail
exec /usr/bin/python3 "$(dirname "$0")/pop3_bench.py" "$@"
