#!/usr/bin/env sh
# Runs the pip command line it is given, leaving out of pip's output only its warnings about
# package locations that do not exist:
#   WARNING: Location 'file:///opt/pypi/simple/rasa/' is ignored: it is neither a file nor a directory.
# A pip.conf whose find-links or extra-index-url names a local folder without a given package
# makes pip print one for every package it looks up (hundreds of lines per install): they are
# about the machine's pip configuration, not the install. Every other line shows (errors and
# other warnings too), stderr merged into stdout; the exit status is pip's.
# `pip config list` shows where such locations come from.
status=$(mktemp) || exit 1
trap 'rm -f "$status"' EXIT
{ "$@" 2>&1; echo $? >"$status"; } |
  grep -v "^WARNING: Location '[^']*' is ignored: it is neither a file nor a directory\.\$"
exit "$(cat "$status")"
