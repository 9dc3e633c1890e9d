"""Writing desk changes back to the ATS through its API (see ats/desk_changes.py for why).

`api.py` makes the HTTP calls (retries with backoff on 429 and 5xx), one module per ATS says
which calls its API documents for a change (`greenhouse.py`, `lever.py`, `recruitee.py`,
`workable.py`, each a `write(api, change, mapping)`), and `send.py` takes the changes due from
`ats_writebacks` (the desk, at once; the deadline monitor's sweep, again after a failure) and
marks what became of each.
"""
