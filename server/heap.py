"""A server's long-lived objects set aside from Python's cyclic garbage collector.

A loaded Rasa server holds its model, domain and libraries: millions of objects. Python's
garbage collector walks all of them in every full collection, about 450 ms on a 2-core machine
(110 ms in an action server), during which the event loop answers nobody; under load a full
collection comes due every few seconds. Profiled on the production topology, collections were
about 6% of a Rasa server's time, charged to whatever line allocated when one came due, and the
pauses stretched every reply that was waiting.

`gc.freeze()` once everything is loaded moves what exists then into a permanent generation that
collections skip: the model lives as long as the process anyway, and what later becomes garbage
is still freed by reference counting or by the collector, as before. (A model replaced through
Rasa's API keeps its predecessor's frozen cycles in memory until the server restarts.)
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def freeze_what_is_loaded() -> int:
    """Collects once, then sets every object alive now aside from later collections; returns
    how many were set aside."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.debug("%s loaded objects set aside from garbage collection", frozen)
    return frozen
