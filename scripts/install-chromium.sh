#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (/usr/bin/chromium) with Playwright; Playwright's own
# browser downloads are not used. Installs it when missing and this machine can (root + apt-get);
# otherwise says how, and the browser tests skip (HELPDESK_REQUIRE_BROWSER=1 makes them fail).
set -u
CHROMIUM="${HELPDESK_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    && exit 0
  echo "Could not install chromium; the browser tests will be skipped." >&2
  exit 0
fi
echo "No Chromium at $CHROMIUM: the browser tests will be skipped." >&2
echo "Install it (Debian/Ubuntu: sudo apt-get install chromium) or set HELPDESK_CHROMIUM." >&2
exit 0
