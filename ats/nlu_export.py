"""Reviewed messages as Rasa NLU training data (YAML, format 3.1), for `helpdesk nlu export`.

The file is meant to be read, then committed under data/nlu/ for the next `make train`: one
`- intent:` block per intent with its examples, each a masked message on one line (ats/masking.py
leaves placeholders that read as text). Written by hand rather than by a YAML library so that
it looks like the project's own data files: examples in a literal block, as Rasa writes them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from itertools import groupby

from ats.review import Example

HEADER = (
    "# Messages applicants sent that the model was unsure of, with the intent an admin gave\n"
    "# them in the desk's review inbox; personal data masked. Review, then move the examples\n"
    "# into data/nlu/ (English or Dutch) and run `make train`.\n"
)


def example_line(text: str) -> str:
    """One message as one example line: on a single line, without control characters, and
    without square brackets, which Rasa reads as an entity annotation ("[x](entity)")."""
    printable = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(printable.replace("[", "(").replace("]", ")").split())


def nlu_yaml(examples: Sequence[Example]) -> str:
    """The examples as an NLU training data file, grouped by intent (in name order)."""
    lines = [HEADER + 'version: "3.1"', "nlu:"]
    ordered = sorted(examples, key=lambda example: (example.intent, example.id))
    for intent, group in groupby(ordered, key=lambda example: example.intent):
        texts = list(dict.fromkeys(filter(None, (example_line(e.text) for e in group))))
        if not texts:
            continue
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in texts]
    return "\n".join(lines) + "\n"
