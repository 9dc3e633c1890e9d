"""The libraries' deprecation warnings are filtered in the servers; the help desk's own are not,
nor any other kind of warning, and verbose filters nothing (server/quiet.py).

Warning filters belong to a process: each case runs in a fresh interpreter, as a server starts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).parents[2]

# each warning as the module it is raised from would raise it
WARN = """
import sys, warnings
from server.quiet import quiet_third_party
quiet_third_party(verbose=sys.argv[1] == "verbose")
cases = [
    ("rasa.core.tracker_store", DeprecationWarning, "library deprecation"),
    ("matplotlib.fontconfig_pattern", PendingDeprecationWarning, "library pending"),
    ("tensorflow.lite.python.util", FutureWarning, "library future"),
    ("rasa.shared.utils.io", UserWarning, "rasa's own word on the data"),
    ("ats.store", DeprecationWarning, "the help desk's own deprecation"),
    ("server.rasa_server", FutureWarning, "the help desk's own future"),
]
for module, category, text in cases:
    warnings.warn_explicit(text, category, module.replace(".", "/") + ".py", 1, module=module)
"""


def warnings_shown(mode: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", WARN, mode],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stderr


def test_only_the_libraries_deprecation_warnings_are_left_out():
    shown = warnings_shown("quiet")
    assert "library" not in shown
    assert "UserWarning: rasa's own word on the data" in shown
    assert "DeprecationWarning: the help desk's own deprecation" in shown
    assert "FutureWarning: the help desk's own future" in shown


def test_verbose_leaves_the_warnings_as_the_libraries_have_them():
    shown = warnings_shown("verbose")
    # sanic, imported first, shows every DeprecationWarning once; Python's own defaults hide
    # PendingDeprecationWarning
    for text in ("library deprecation", "library future", "rasa's own", "help desk's own"):
        assert text in shown
