#!/usr/bin/env bash
# Installs whatever kechan needs that this Debian 12 machine lacks. Idempotent: does nothing
# when everything is there. Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkgconf python3
  # core + store
  libjansson-dev libsqlite3-dev sqlite3 libutf8proc-dev
  # tests
  libcmocka-dev
  libigraph-dev
  # text analysis
  libopencc-dev libopencc-data opencc libstemmer-dev libfriso-dev friso-dict
  # jieba: its dictionary and HMM model are read by the text module; also a peer in bench/
  # xapian: a peer of the matching engine in bench/match_eval
  python3-jieba python3-xapian
  # http server and its tests
  libmicrohttpd-dev curl
  # http auth: argon2id password hashes, random tokens, BLAKE2b token digests
  libsodium-dev
  # index: filter bitmaps
  libroaring-dev
  # match: LAPACK (via LAPACKE) for the field vectors' SVD
  liblapacke-dev
)

# the web UI is built with Node.js and npm (any recent Node.js: the machine's own, or Debian's)
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)
# extra packages a caller needs (make fuzz: clang; make test: chromium for the browser tests)
for p in ${KC_SETUP_EXTRA:-}; do PACKAGES+=("$p"); done
missing=()
for p in "${PACKAGES[@]}"; do
  [[ $p == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    SUDO=(sudo)
  else
    echo "setup: these Debian packages are missing and I am not root: ${missing[*]}" >&2
    echo "setup: run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
  "${SUDO[@]}" apt-get update >&2
  "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
