#!/usr/bin/env bash
# Installs the Debian 12 packages siphon needs to build, test and benchmark.
# Runs apt-get update only when something is missing, so a warm machine pays nothing.
# Usage: scripts/deps.sh [build|test|bench|bench-peers]   (default: test, which includes build)
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libuv1-dev libssl-dev libsqlite3-dev libxml2-dev libinih-dev)
test_pkgs=(libcmocka-dev python3 clang libclang-rt-14-dev sip-tester sipsak openssl kamailio kamailio-presence-modules)
# bench-peers: the C parsers siphon's parser is compared with (../shared/bench-peers).
peer_pkgs=(libosip2-dev libsofia-sip-ua-dev libre-dev valgrind)
bench_pkgs=("${peer_pkgs[@]}" kamailio)

want=("${build_pkgs[@]}")
case "${1:-test}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  bench-peers) want+=("${peer_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench|bench-peers]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
