"""Every change the help desk makes to Rasa and rasa_sdk, in one table, applied once at a server's
start.

Each patch names its target (`module:Class.attribute`, or `module:function`), the parameters the
original has in the Rasa (3.6.21) and rasa_sdk (3.6) the help desk is built on, and the function
that makes what takes its place. `apply_all()` checks every target first: when one is missing, is
no longer a plain function, or takes other parameters (an upgrade of Rasa), nothing is changed
and the server stops with an error naming the target and the installed version, instead of
running with a fix that silently no longer fits. Then it applies them, once per process: calling
it again changes nothing.

Nothing is patched by importing a module. server/rasa_server.py applies `RASA_SERVER` before
Rasa starts, whichever channels credentials.yml lists; server/action_server.py applies
`ACTION_SERVER`. Targets and replacements are named, and imported only when applied, so that
the action server does not load Rasa (4 s and 450 MB) to patch rasa_sdk.

The parameters compared are names, kinds and default values, not annotations: those are only
documentation to Python, and their text changes with the Python version (a forward reference
written as a string, `Optional[X]` or `X | None`) while the calls stay the same.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from types import FunctionType, ModuleType
from typing import Any, Protocol

from ats.settings import ServerSettings


class MakeReplacement(Protocol):
    """Given Rasa's original and the server's settings, returns what takes its place (a
    wrapper calls the original it was given)."""

    def __call__(
        self, original: Callable[..., Any], servers: ServerSettings
    ) -> Callable[..., Any]: ...


@dataclass(frozen=True)
class Patch:
    """One attribute of Rasa or rasa_sdk replaced."""

    target: str  # "module:Class.attribute" or "module:function"
    expects: str  # the original's parameters as `parameters()` writes them
    make: str  # "module:function", a MakeReplacement in the help desk's code
    why: str
    package: str = "rasa"  # whose version the error names
    static: bool = False  # the target is a staticmethod, and its replacement is made one


class RasaChanged(RuntimeError):
    """A patch no longer fits the installed Rasa or rasa_sdk; the server does not start."""


def parameters(function: Callable[..., Any]) -> str:
    """The parameters a call depends on: names, kinds and defaults, e.g. `(self, result)`."""
    signature = inspect.signature(function)
    bare = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=bare, return_annotation=inspect.Signature.empty))


def installed(package: str) -> str:
    try:
        return f"{package} {version(package.replace('_', '-'))}"
    except PackageNotFoundError:
        return f"{package} (version unknown)"


def _named(name: str) -> Any:
    """What "module:Class.attribute" names (the module itself for "module:")."""
    module, _, path = name.partition(":")
    found: Any = importlib.import_module(module)
    for part in filter(None, path.split(".")):
        found = getattr(found, part)
    return found


def _owner(target: str) -> tuple[type | ModuleType, str]:
    """The class or module holding the target, and the attribute's name."""
    module, _, path = target.partition(":")
    holder, _, attribute = path.rpartition(".")
    return _named(f"{module}:{holder}"), attribute


# each replaced target: its owner, its name and Rasa's original, put back by undo_all()
_originals: dict[str, tuple[type | ModuleType, str, Any]] = {}


def _original(patch: Patch) -> Any:
    if patch.target in _originals:
        return _originals[patch.target][2]
    try:
        owner, attribute = _owner(patch.target)
    except (ImportError, AttributeError):
        return None
    if isinstance(owner, ModuleType):
        return owner.__dict__.get(attribute)
    return inspect.getattr_static(owner, attribute, None)


def _problem(patch: Patch) -> str | None:
    original = _original(patch)
    where = f"{patch.target} ({installed(patch.package)} is installed)"
    if original is None:
        return f"{where} no longer exists"
    if patch.static:
        if not isinstance(original, staticmethod):
            return f"{where} is no longer a staticmethod but a {type(original).__name__}"
        original = original.__func__
    if not isinstance(original, FunctionType):
        # a property, classmethod or staticmethod now: the replacement would be called wrongly
        return f"{where} is no longer a plain function but a {type(original).__name__}"
    found = parameters(original)
    if found != patch.expects:
        return f"{where} takes {found}; the help desk's replacement expects {patch.expects}"
    return None


def check(patches: Iterable[Patch]) -> None:
    """Raises RasaChanged naming every target that is missing or changed."""
    problems = [problem for patch in patches if (problem := _problem(patch))]
    if problems:
        raise RasaChanged(
            "The help desk's fixes to Rasa no longer fit the installed version, so none was "
            "applied:\n  - "
            + "\n  - ".join(problems)
            + "\nCompare each fix (server/patches.py) with the new code before changing what it "
            "expects."
        )


def apply_all(patches: Iterable[Patch], servers: ServerSettings) -> None:
    """Checks every target, then replaces each one not replaced yet in this process."""
    patches = list(patches)
    check(patches)
    for patch in patches:
        if patch.target in _originals:
            continue
        owner, attribute = _owner(patch.target)
        kept = _original(patch)  # as the class holds it: a staticmethod stays one when undone
        make: MakeReplacement = _named(patch.make)
        replacement = make(getattr(owner, attribute), servers)
        _originals[patch.target] = (owner, attribute, kept)
        setattr(owner, attribute, staticmethod(replacement) if patch.static else replacement)


def applied() -> list[str]:
    """The targets replaced in this process."""
    return list(_originals)


def undo_all() -> None:
    """Puts Rasa's originals back (for tests, which share one process)."""
    for owner, attribute, original in _originals.values():
        setattr(owner, attribute, original)
    _originals.clear()


RASA_SERVER = (
    Patch(
        "rasa.core.actions.action:RemoteAction._validate_action_result",
        "(self, result)",
        "server.rasa_speedups:compiled_validation",
        "one compiled JSON schema instead of checking the schema itself on every call",
    ),
    Patch(
        "rasa.shared.core.events:Event.resolve_by_type",
        "(type_name, default=None)",
        "server.rasa_speedups:event_types_in_a_table",
        "event classes looked up in a table, not by walking every subclass for every event",
        static=True,
    ),
    Patch(
        "rasa.engine.runner.dask:DaskGraphRunner.run",
        "(self, inputs=None, targets=None)",
        "server.graph_runner:in_a_fixed_order",
        "the model's nodes run in an order worked out once, not scheduled by dask per message",
    ),
    Patch(
        "rasa.nlu.classifiers.logistic_regression_classifier:LogisticRegressionClassifier.process",
        "(self, messages)",
        "server.nlu_speedups:coefficients_by_column",
        "the intent classifier's coefficients laid out so that no message copies them",
    ),
    Patch(
        "rasa.nlu.classifiers.logistic_regression_classifier:LogisticRegressionClassifier"
        "._create_X",
        "(self, messages)",
        "server.nlu_speedups:sentence_features_only",
        "only the sentence features the classifier uses are combined, not the sequence ones",
    ),
    Patch(
        "rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer:CountVectorsFeaturizer"
        ".process",
        "(self, messages)",
        "server.nlu_speedups:sequence_features_when_read",
        "the counts of each token on its own worked out when something reads them, not for "
        "every message",
    ),
    Patch(
        "rasa.shared.nlu.training_data.features:Features._combine_sparse_features",
        "(self, additional_features)",
        "server.nlu_speedups:coo_side_by_side",
        "two featurizers' counts put side by side directly, not through scipy's general bmat",
    ),
    Patch(
        "rasa.shared.core.domain:Domain.states_for_tracker_history",
        "(self, tracker, omit_unset_slots=False, ignore_rule_only_turns=False, "
        "rule_only_data=None)",
        "server.prior_states:replayed_once",
        "the conversation replayed once per tracker for the policies and extended, not replayed "
        "from its start for every policy and every prediction",
    ),
    Patch(
        "rasa.core.processor:MessageProcessor._run_action",
        "(self, action, tracker, output_channel, nlg, prediction)",
        "server.action_runs:copying_only_what_may_be_discarded",
        "the conversation copied before an action only when the policy's events might have to "
        "be discarded or the action is a loop, not replayed into a copy before every action",
    ),
    Patch(
        "rasa.core.processor:MessageProcessor._log_action_on_tracker",
        "(self, tracker, action, events, prediction)",
        "server.action_runs:deep_copies_only_when_logged",
        "an action's events deep-copied for the debug log only when debug records are written",
    ),
    Patch(
        "rasa.utils.endpoints:EndpointConfig.session",
        "(self)",
        "server.rasa_speedups:keeping_sessions",
        "one kept-alive HTTP session per endpoint and event loop, not one per call",
    ),
    Patch(
        "rasa.core.actions.action:RemoteAction.run",
        "(self, output_channel, nlg, tracker, domain)",
        "server.resilience:with_timeout",
        "an apology after HELPDESK_ACTION_TIMEOUT_SECONDS; a request for a person is kept",
    ),
    Patch(
        "rasa.core.processor:MessageProcessor.log_message",
        "(self, message, should_save_tracker=True)",
        "server.held_conversations:refusing_other_channels",
        "a REST message for a conversation another channel holds refused under the lock, from "
        "the conversation loaded there, not by loading it once more before",
    ),
    Patch(
        "rasa.core.agent:Agent.handle_message",
        "(self, message)",
        "server.resilience:counting_messages",
        "every message counted and timed; one that cannot be handled gets an apology",
    ),
    Patch(
        "rasa.core.tracker_store:FailSafeTrackerStore.on_tracker_store_error",
        "(self, error)",
        "server.resilience:without_fallback",
        "an apology, not an in-memory tracker that has forgotten the conversation",
    ),
    Patch(
        "rasa.core.tracker_store:FailSafeTrackerStore.on_tracker_store_retrieve_error",
        "(self, error)",
        "server.resilience:without_fallback",
        "an apology, not an in-memory tracker that has forgotten the conversation",
    ),
    Patch(
        "rasa.core.run:load_agent_on_start",
        "(model_path, endpoints, remote_storage, app, loop)",
        "server.lifecycle:starting_ours_too",
        "the requests for a person kept while a service was away are replayed, whatever the "
        "channels",
    ),
    Patch(
        "rasa.core.run:close_resources",
        "(app, _)",
        "server.lifecycle:closing_ours_too",
        "what the help desk keeps open is closed when the server stops, whatever the channels",
    ),
)

ACTION_SERVER = (
    Patch(
        "rasa_sdk.executor:ActionExecutor.run",
        "(self, action_call)",
        "server.action_metrics:counting_actions",
        "every action counted and timed for Prometheus",
        package="rasa_sdk",
    ),
)
