#!/usr/bin/env bash
# What the tests and `./coach cluster` need from Debian, installed when missing: Chromium and its driver for the
# browser tests; PostgreSQL, Redis and HAProxy for the several-server deployment. (Their services are not started here: each
# test or cluster starts its own on loopback, with a password.)
set -euo pipefail
declare -A package_of=([chromium]="chromium chromium-driver" [redis-server]=redis-server [haproxy]=haproxy)
missing=()
for command in "${!package_of[@]}"; do
  if ! PATH=$PATH:/usr/sbin command -v "$command" >/dev/null; then
    read -ra packages <<< "${package_of[$command]}"
    missing+=("${packages[@]}")
  fi
done
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ ${#missing[@]} = 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "the tests and ./coach cluster need: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
