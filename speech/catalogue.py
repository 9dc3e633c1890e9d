"""The message catalogue: everything the help desk says, one YAML file per language.

`speech/catalogue/<language>.yml` holds the texts by area (conversation, status, calendar,
notices, desk, dashboard, mail, channels), nested keys joined with dots: `say("desk.queue",
"nl")`. The files are read once. A language without a file is answered in English; a key that
is not there, or a text whose placeholder was not given a value, raises CatalogueError instead
of showing an applicant "{name}".
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DIRECTORY = Path(__file__).with_name("catalogue")
FALLBACK_LANGUAGE = "en"


class CatalogueError(LookupError):
    """A key the catalogue lacks, or a text that was not given all its values."""


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str | tuple[str, ...]]:
    flat: dict[str, str | tuple[str, ...]] = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        elif isinstance(value, list):
            flat[key] = tuple(str(item) for item in value)
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise CatalogueError(f"{key}: a text or a list of texts, not {value!r}")
    return flat


def placeholders(text: str) -> frozenset[str]:
    """The names a text needs values for: "Hello {name}" → {"name"}."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


class Catalogue:
    """The texts of every language found in `directory` (one `<language>.yml` each)."""

    def __init__(self, directory: Path = DIRECTORY) -> None:
        self.texts: dict[str, dict[str, str | tuple[str, ...]]] = {}
        for path in sorted(directory.glob("*.yml")):
            with path.open(encoding="utf-8") as file:
                self.texts[path.stem] = _flatten(yaml.safe_load(file) or {})
        if FALLBACK_LANGUAGE not in self.texts:
            raise CatalogueError(f"no {FALLBACK_LANGUAGE}.yml in {directory}")

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.texts))

    def _entry(self, key: str, language: str) -> str | tuple[str, ...]:
        texts = self.texts.get(language) or self.texts[FALLBACK_LANGUAGE]
        try:
            return texts[key]
        except KeyError:
            raise CatalogueError(f"the catalogue has no text {key!r} ({language})") from None

    def has(self, key: str) -> bool:
        return key in self.texts[FALLBACK_LANGUAGE]

    def text(self, key: str, language: str, **values: object) -> str:
        """The text `key` in `language` (English when there is no such language), filled in."""
        entry = self._entry(key, language)
        if not isinstance(entry, str):
            raise CatalogueError(f"{key!r} is a list: use choices()")
        try:
            return entry.format(**values)
        except (KeyError, IndexError) as missing:
            raise CatalogueError(f"{key!r} ({language}) needs a value for {missing}") from None

    def choices(self, key: str, language: str) -> tuple[str, ...]:
        """A list of texts, such as the names of the days (calendar.days), in order."""
        entry = self._entry(key, language)
        if isinstance(entry, str):
            raise CatalogueError(f"{key!r} is a text, not a list: use text()")
        return entry

    def name_of(self, names: str, value: str, language: str) -> str:
        """The name the catalogue gives a value from the data (a channel, an escalation
        reason) under `names`, or the value itself when it has none: a newer version of the
        help desk, sharing the database, may have written a value this one does not know."""
        key = f"{names}.{value}"
        return self.text(key, language) if self.has(key) else value

    def area(self, prefix: str, language: str) -> Callable[..., str]:
        """text() within one area, for a page's templates: area("desk", "nl")("queue")."""

        def words(key: str, **values: object) -> str:
            return self.text(f"{prefix}.{key}", language, **values)

        return words


@cache
def catalogue() -> Catalogue:
    """The help desk's catalogue, read once per process."""
    return Catalogue()


def say(key: str, language: str, **values: object) -> str:
    """The text `key` in `language`, filled in with `values` (see Catalogue.text)."""
    return catalogue().text(key, language, **values)


TELEGRAM_COMMANDS = ("help", "human", "language", "forget")


def telegram_menus() -> dict[str | None, list[tuple[str, str]]]:
    """The menu Telegram shows under "/", as (command, description) pairs per app language:
    English for every language without its own (None)."""
    words = catalogue()
    return {
        None if language == FALLBACK_LANGUAGE else language: [
            (command, words.text(f"channels.telegram_menu.{command}", language))
            for command in TELEGRAM_COMMANDS
        ]
        for language in words.languages
    }
