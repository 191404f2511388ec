#!/usr/bin/env bash
# Install what the test suite needs from Debian when it is missing: git, and
# the PostgreSQL server binaries (the tests start their own server on loopback).
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: ${need[*]}; install them (apt-get install ${need[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
