#!/usr/bin/env bash
# Several servers on one machine (`helpdesk run --rasa-servers N --action-servers M`, the
# production tests in tests/production/) are balanced by Debian's nginx, run without root.
# Installs it when missing and this machine can (root + apt-get); otherwise says how, and those
# tests skip (HELPDESK_REQUIRE_SERVICES=1 makes them fail). `make run` (one server) needs none.
set -u
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's nginx for several servers on one machine..."
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  then
    # the package starts its own nginx on port 80 where systemd runs; the help desk runs its
    # own nginx processes and needs none of that one
    if [ -d /run/systemd/system ]; then
      systemctl disable --now nginx >/dev/null 2>&1 || true
    fi
    exit 0
  fi
  echo "Could not install nginx; the production topology tests will be skipped." >&2
  exit 0
fi
echo "No nginx: several servers on one machine and the production topology tests need it." >&2
echo "Install it (Debian/Ubuntu: sudo apt-get install nginx)." >&2
exit 0
