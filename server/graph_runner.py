"""Rasa's model graph run in a fixed order, without dask's scheduler on every message.

Rasa 3.6 runs the trained model (tokenizer, featurizers, classifier, policies) for each message
through `DaskGraphRunner.run`, which works out the part of the graph the targets need, builds a
dask graph of it and has dask's synchronous scheduler order and run it, every time. For a graph
that never changes while the server runs, the ordering is the same each time: profiled under 20
concurrent conversations it was about a tenth of a busy Rasa server (dask's `order`,
`reverse_dict`, the minimal schema, and a debug message formatting the whole message even with
debug logging off). Here the order is worked out once per runner and set of targets, and the
nodes are called in it with the outputs of the nodes they need, as dask would call them; the
outputs, and the errors (a RuntimeError as GraphRunError), are Rasa's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

from ats.settings import ServerSettings

logger = logging.getLogger("rasa.engine.runner.dask")


def run_order(schema: GraphSchema, targets: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The nodes the targets need, each after the nodes it needs, with the names of those it
    needs in its parameters' order (names that are not nodes are the run's inputs)."""
    order: list[tuple[str, tuple[str, ...]]] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in placed or name not in schema.nodes:
            return
        if name in path:
            raise GraphRunError(f"The graph has a cycle through '{name}'.")
        needs = tuple(schema.nodes[name].needs.values())
        for needed in needs:
            place(needed, (*path, name))
        placed.add(name)
        order.append((name, needs))

    for target in targets:
        place(target, ())
    return order


def in_a_fixed_order(_original: Callable[..., Any], _servers: ServerSettings) -> Callable[..., Any]:
    """Replaces DaskGraphRunner.run (server/patches.py)."""

    def run(
        self: DaskGraphRunner,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        orders: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = self.__dict__.setdefault(
            "_helpdesk_orders", {}
        )
        key = tuple(run_targets)
        order = orders.get(key)
        if order is None:
            order = orders[key] = run_order(self._graph_schema, list(run_targets))
        names = {name for name, _ in order}
        results: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in names:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            results[name] = (name, value)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                f"Running graph with inputs: {inputs}, targets: {targets} "
                f"and {self._execution_context}."
            )
        try:
            for name, needs in order:
                node = self._instantiated_nodes[name]
                # as dask: a name with a result is replaced by it, any other passed as it is
                results[name] = node(*(results.get(needed, needed) for needed in needs))
            return dict(results[target] for target in run_targets)
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error

    return run
