#!/usr/bin/env bash
# System packages the app and its tests need, installed only when missing.
set -euo pipefail
need=()
# PostgreSQL client+server: the production database, and the second test run.
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${need[*]} (run as root or: sudo apt-get install ${need[*]})" >&2
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
