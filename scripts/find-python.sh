#!/usr/bin/env sh
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 runs on no other), or explains how to get one.
#
# Python 3.10 has had no upstream security fixes since October 2026. A distribution that still
# supports it (Ubuntu 22.04 LTS: standard support to 2027-06, ESM to 2032) patches its own
# /usr/bin/python3.10, so that one is preferred over pyenv's or any other build; PYTHON=... wins.
is310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

if [ -n "${PYTHON:-}" ]; then
  if path=$(command -v "$PYTHON" 2>/dev/null) && is310 "$path"; then echo "$path"; exit 0; fi
  echo "note: PYTHON=$PYTHON is not a Python 3.10 interpreter; looking for one" >&2
fi

# the distribution's, when its venv module is installed too (Debian/Ubuntu: python3.10-venv)
if [ -x /usr/bin/python3.10 ] && is310 /usr/bin/python3.10; then
  if /usr/bin/python3.10 -c 'import ensurepip, venv' 2>/dev/null; then
    echo /usr/bin/python3.10; exit 0
  fi
  echo "note: /usr/bin/python3.10 lacks its venv module (apt-get install python3.10-venv); not used" >&2
fi

unpatched() {
  echo "note: using $1, not a distribution's python3.10: it gets no security fixes since" \
    "October 2026 (README, \"Python 3.10\")" >&2
}
if path=$(command -v python3.10 2>/dev/null) && is310 "$path"; then
  unpatched "$path"; echo "$path"; exit 0
fi
# pyenv installs versions side by side without putting each on PATH.
for root in "${PYENV_ROOT:-}" "$HOME/.pyenv"; do
  [ -n "$root" ] || continue
  for path in "$root"/versions/3.10.*/bin/python3.10; do
    if [ -x "$path" ]; then unpatched "$path"; echo "$path"; exit 0; fi
  done
done
cat >&2 <<'MSG'
This project needs Python 3.10 (Rasa 3.6 supports no other version), and none was found.
Install it, then run the command again:
  - Ubuntu 22.04:   sudo apt-get install python3.10 python3.10-venv   (patched by Ubuntu, preferred)
  - with pyenv:     pyenv install 3.10                                (no security fixes after 2026-10)
  - macOS:          brew install python@3.10
Or point to one you have: make run PYTHON=/path/to/python3.10
MSG
exit 1
