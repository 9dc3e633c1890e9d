"""`rasa train` as the help desk runs it (ops/model.py): with the libraries' warnings filtered
(server/quiet.py), before Rasa and its libraries are imported."""

from __future__ import annotations

import sys

from ats.settings import Settings
from server.quiet import quiet_third_party

quiet_third_party(Settings.from_env().verbose)

# isort: split
# pyparsing's deprecation warnings are UserWarnings too, which Rasa's command line shows once,
# in front of the filters above, once it has started; matplotlib raises them while it is
# imported, which training does: imported now, while the filters above still come first
import matplotlib  # noqa: E402, F401
from rasa.__main__ import main as rasa_main  # noqa: E402


def main() -> None:
    sys.argv = ["rasa", "train", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
