"""What the deployment tests share: the project's folder and the README's configuration table."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).parents[2]
DEPLOY = PROJECT / "deploy"
SCHEMAS = Path(__file__).parent / "schemas"
CHARTS = Path(__file__).parent / "charts"


def readme_variables() -> set[str]:
    """The variables in the first column of the README's configuration table."""
    text = (PROJECT / "README.md").read_text()
    cells = re.findall(r"^\| (`[A-Z][^|]*)\|", text, re.M)
    return {name for cell in cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
