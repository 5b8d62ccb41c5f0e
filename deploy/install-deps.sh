#!/usr/bin/env bash
# Installs everything mailtee needs from Debian bookworm packages (root).
#   deploy/install-deps.sh          build + run dependencies
#   deploy/install-deps.sh --tests  also the test peers (Postfix, Dovecot, clients, clang for fuzzing)
# Skips apt entirely when every package is already installed, so repeated runs are fast.
set -euo pipefail

build_pkgs=(build-essential cmake ninja-build ccache pkg-config
  libuv1-dev android-libboringssl-dev libleveldb-dev libtinyxml2-dev
  libhttp-parser-dev nlohmann-json3-dev libsodium-dev)
test_pkgs=(libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  postfix dovecot-core dovecot-pop3d swaks libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl curl fetchmail openssl faketime
  python3 python3-pytest python3-aiosmtpd procps haproxy
  chromium fonts-ipafont-gothic)

pkgs=("${build_pkgs[@]}")
if [[ "${1:-}" == "--tests" ]]; then
  pkgs+=("${test_pkgs[@]}")
  # Browser tests drive Chromium with playwright-core from npm. Any Node >= 18
  # will do; take Debian's only when the machine has none (a NodeSource build
  # already ships npm and conflicts with Debian's npm package).
  command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]} — run this as root (sudo)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure the system mailer; the tests run their own instance.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# haproxy is only the load benchmarks' reference TCP relay (started by them on
# loopback); the package's own service is not wanted.
if [[ " ${missing[*]} " == *" haproxy "* ]] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now haproxy >/dev/null 2>&1 || true
fi
