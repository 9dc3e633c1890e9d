"""The warnings of the libraries under Rasa kept out of the servers' and the training's output.

Rasa 3.6's dependencies warn about their own dependencies at every start: SQLAlchemy 2.0's
MovedIn20Warning for Rasa's tracker store, pkg_resources and its namespace packages, distutils
in sanic_cors, jax in TensorFlow, pyparsing in matplotlib; TensorFlow's native log adds its
oneDNN, CUDA and TensorRT notices. None of it is something an operator of the help desk can act
on, and it buried the lines that say what is running. So, in the processes that load Rasa or
rasa_sdk (server/rasa_server.py, server/rasa_train.py, `helpdesk serve actions`):

- deprecation warnings (DeprecationWarning, PendingDeprecationWarning, FutureWarning and their
  subclasses) are ignored when they are raised from a module outside the help desk's own
  packages; the help desk's own code still shows them, and every other warning (Rasa's
  UserWarnings about the training data and configuration among them) still shows;
- TensorFlow's native log shows errors only: TF_CPP_MIN_LOG_LEVEL=2, which Rasa sets too, but
  only once TensorFlow has been imported and has logged; and a parent process that imported
  jax (which sets 1 when it is unset) hands down 1.

With HELPDESK_VERBOSE=1 (`helpdesk run --verbose`) or Rasa's LOG_LEVEL=DEBUG nothing is filtered.

sanic adds, when it is imported, a filter that shows every DeprecationWarning once, in front of
the filters already there: it is imported here first, so that the filters added below come
before it rather than after it. Rasa's command line, when it starts, puts one in front that shows
every UserWarning once; pyparsing's deprecation warnings are UserWarnings too, so
server/rasa_train.py imports matplotlib, which raises them, before Rasa starts.
"""

from __future__ import annotations

import os
import warnings

import sanic  # noqa: F401  (imported for its filter, before the ones below: see above)

# Where a warning is raised from is the module it is attributed to (its `stacklevel`).
OWN_PACKAGES = (
    "__main__",
    "actions",
    "ats",
    "bench",
    "channels",
    "desk",
    "dialogue",
    "monitor",
    "ops",
    "server",
    "speech",
    "tests",
)
THIRD_PARTY_MODULE = rf"(?!(?:{'|'.join(OWN_PACKAGES)})(?:\.|$))"
LIBRARY_CATEGORIES: tuple[type[Warning], ...] = (
    DeprecationWarning,
    PendingDeprecationWarning,
    FutureWarning,
)


def quiet_third_party(verbose: bool) -> None:
    """Filter the libraries' deprecation warnings and TensorFlow's notices, unless verbose.

    Call it before the libraries are imported: most of them warn while they are imported."""
    if verbose:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    for category in LIBRARY_CATEGORIES:
        warnings.filterwarnings("ignore", category=category, module=THIRD_PARTY_MODULE)
