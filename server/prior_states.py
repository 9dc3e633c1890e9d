"""The dialogue policies' view of a conversation's past, replayed once per tracker and extended.

To predict the next action, each of Rasa's policies turns the conversation into a list of
states, one per action taken so far (`Domain.states_for_tracker_history`). Rasa does that by
replaying every event of the conversation on a fresh tracker, for every policy and every
prediction: the rule policy twice after a user message (once for the text, once for the intent),
the memoization policy once, and two or three predictions a message, each replaying the whole
conversation again (about a tenth of a busy Rasa server's time).

Here the replay is kept beside the tracker it was made from (in its `__dict__`, so it lives and
dies with that tracker object, which holds one conversation): the state before each action, and
the replaying tracker itself. A later call on the same tracker answers at once when it has no
new events, and otherwise replays only the events added since, provided the events that apply
(`applied_events()`: what a rewind or a reverted action leaves) still begin with exactly the
event objects replayed; otherwise it replays from the start, as Rasa does. Each call hands out
fresh copies of the states, which the policies change, and puts them together with Rasa's own
rules for hiding rule-only turns: the same states as Rasa's, compared on recorded and random
conversations in tests/server/test_prior_states.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import is_
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker

from ats.settings import ServerSettings

# where a tracker keeps its replays: (domain, omit_unset_slots) -> Replay
KEPT = "_helpdesk_prior_states"


@dataclass(frozen=True)
class Turn:
    """The conversation just before one action (or now, for the last), as Rasa's loop reads it."""

    state: State  # get_active_state(), kept unchanged: handed out as copies
    previous_action: dict[str, str] | None  # the tracker's latest_action at that point
    hide_rule_turn: bool
    followup_action: bool
    loop_acting: bool  # the latest action is the active loop's own

    def fresh(self) -> tuple[State, dict[str, str] | None]:
        """A copy of the state and of the previous action, as new as Rasa's are: the state's
        previous action is the same object as the one returned beside it, as in Rasa."""
        previous = dict(self.previous_action) if self.previous_action is not None else None
        state: State = {}
        for key, sub_state in self.state.items():
            if key == PREVIOUS_ACTION and sub_state is self.previous_action:
                state[key] = previous  # type: ignore[assignment]
            else:
                state[key] = dict(sub_state)  # type: ignore[assignment]
        return state, previous


def _turn(domain: Domain, tracker: DialogueStateTracker, omit: bool, hide: bool) -> Turn:
    return Turn(
        state=domain.get_active_state(tracker, omit_unset_slots=omit),
        previous_action=domain._get_prev_action_sub_state(tracker),
        hide_rule_turn=hide,
        followup_action=bool(tracker.followup_action),
        loop_acting=tracker.latest_action_name == tracker.active_loop_name,
    )


@dataclass
class Replay:
    """One tracker's events replayed on a copy, with the turn before each action taken."""

    domain: Domain
    omit_unset_slots: bool
    tracker: DialogueStateTracker
    applied: list[Event] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    # the tracker's events when last asked (how many, the first, the last) and the answer: the
    # policies ask two or three times in a row of a tracker that has not changed
    seen: tuple[int, Event | None, Event | None] = (-1, None, None)
    answer: list[Turn] = field(default_factory=list)

    def unchanged(self, seen: tuple[int, Event | None, Event | None]) -> bool:
        """True when the tracker's events are those of the last answer (events are only ever
        appended, or dropped from the front when a maximum history is set)."""
        return seen[0] == self.seen[0] and seen[1] is self.seen[1] and seen[2] is self.seen[2]

    def continues(self, applied: list[Event]) -> bool:
        """True when `applied` begins with the very events replayed so far."""
        done = len(self.applied)
        return len(applied) >= done and all(map(is_, self.applied, applied[:done]))

    def advance(self, applied: list[Event]) -> list[Turn]:
        """The turns up to the end of `applied` (which `continues()` this replay)."""
        for event in applied[len(self.applied) :]:
            # as Tracker.generate_all_prior_trackers: the state before each action
            if isinstance(event, ActionExecuted):
                self.turns.append(
                    _turn(self.domain, self.tracker, self.omit_unset_slots, event.hide_rule_turn)
                )
            self.tracker.update(event)
            self.applied.append(event)
        return [*self.turns, _turn(self.domain, self.tracker, self.omit_unset_slots, False)]


def _turns(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> list[Turn]:
    replays: dict[tuple[int, bool], Replay] = tracker.__dict__.setdefault(KEPT, {})
    key = (id(domain), omit_unset_slots)
    events = tracker.events
    seen = (len(events), events[0] if events else None, events[-1] if events else None)
    replay = replays.get(key)
    if replay is not None and replay.domain is domain and replay.unchanged(seen):
        return replay.answer
    applied = tracker.applied_events()
    if replay is None or replay.domain is not domain or not replay.continues(applied):
        replay = replays[key] = Replay(domain, omit_unset_slots, tracker.init_copy())
    replay.answer, replay.seen = replay.advance(applied), seen
    return replay.answer


def replayed_once(
    _original: Callable[..., Any], _servers: ServerSettings
) -> Callable[..., list[State]]:
    """Replaces Domain.states_for_tracker_history (server/patches.py)."""

    def states_for_tracker_history(
        self: Domain,
        tracker: DialogueStateTracker,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        # Rasa's loop, line for line, over the kept turns instead of a new replay
        states: list[State] = []
        last_ml_action_sub_state = None
        turn_was_hidden = False
        for turn in _turns(self, tracker, omit_unset_slots):
            state, previous_action = turn.fresh()
            if ignore_rule_only_turns:
                if not turn_was_hidden:
                    last_ml_action_sub_state = previous_action
                if not turn.followup_action and not turn.loop_acting:
                    turn_was_hidden = turn.hide_rule_turn
                if turn_was_hidden:
                    continue
                self._remove_rule_only_features(state, rule_only_data)
                if states:
                    self._substitute_rule_only_user_input(state, states[-1])
                if last_ml_action_sub_state:
                    state[PREVIOUS_ACTION] = last_ml_action_sub_state  # type: ignore[assignment]
            states.append(self._clean_state(state))
        return states

    return states_for_tracker_history
