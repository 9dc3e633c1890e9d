"""Loaded objects set aside from garbage collection (server/heap.py): what is alive when the
server has loaded is no longer walked by collections, and what becomes garbage afterwards is
still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from server.heap import freeze_what_is_loaded


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def unfrozen_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_what_was_loaded_is_no_longer_walked_by_collections() -> None:
    model = [Node() for _ in range(1000)]
    assert any(o is model for o in gc.get_objects())
    assert freeze_what_is_loaded() >= 1000
    assert not any(o is model for o in gc.get_objects())
    assert model[0].other is None  # set aside, not gone


def test_garbage_made_afterwards_is_still_collected() -> None:
    freeze_what_is_loaded()
    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle: only the collector frees it
    gone = weakref.ref(first)
    del first, second
    gc.collect()
    assert gone() is None
