#!/usr/bin/env bash
# System packages the app and its tests need, installed only when missing:
#   postgresql            the production database, and the second test run
#   chromium              browser tests (Playwright drives Debian's Chromium)
#   fonts-wqy-microhei,   CJK fonts embedded in the PDFs (WenQuanYi Micro Hei is
#   fonts-noto-cjk        used first: it renders about 3x faster than Noto CJK)
#   libpango-1.0-0, libpangoft2-1.0-0   WeasyPrint's text layout
#   poppler-utils, zbar-tools           tests read PDF text and decode QR codes
#   redis-server          shared rate-limit counters for several workers (RATELIMIT_STORAGE_URI),
#                         and the test that two gunicorn workers share the login limit
set -euo pipefail
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
