#!/usr/bin/env bash
# The browser tests drive Debian's Chromium: install it (with its driver) when it is missing.
set -euo pipefail
command -v chromium >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium and chromium-driver for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
else
  echo "the browser tests need Chromium: sudo apt-get install chromium chromium-driver" >&2
  exit 1
fi
