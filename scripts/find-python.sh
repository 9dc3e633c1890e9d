#!/usr/bin/env sh
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 runs on no other), or explains how to get one.
for candidate in "${PYTHON:-}" python3.10; do
  [ -n "$candidate" ] || continue
  if path=$(command -v "$candidate" 2>/dev/null) && "$path" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
# pyenv installs versions side by side without putting each on PATH.
for root in "${PYENV_ROOT:-}" "$HOME/.pyenv"; do
  [ -n "$root" ] || continue
  for path in "$root"/versions/3.10.*/bin/python3.10; do
    if [ -x "$path" ]; then echo "$path"; exit 0; fi
  done
done
cat >&2 <<'MSG'
This project needs Python 3.10 (Rasa 3.6 supports no other version), and none was found.
Install it, then run the command again:
  - with pyenv:     pyenv install 3.10.13
  - Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv   (deadsnakes PPA on Ubuntu)
  - macOS:          brew install python@3.10
Or point to one you have: make run PYTHON=/path/to/python3.10
MSG
exit 1
