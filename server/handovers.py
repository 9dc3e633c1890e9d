"""An applicant's request for a person is never lost, even while the action server or the ATS
store is away.

When the hand-over action (`action_hand_to_human`) cannot run — the action server is down or
slow, or it reports that the ATS store failed — the Rasa server tells the applicant that their
request is noted, and writes it to a spool on local disk (HELPDESK_SPOOL_DIR/handovers). It
runs the spooled hand-overs again every HELPDESK_HANDOVER_RETRY_SECONDS (15); one that succeeds
is recorded in the ATS store, the recruiter is emailed as usual, and the applicant is told in
their conversation who will contact them. A hand-over that had in fact gone through (a slow
action server finished it) is found again rather than doubled: the store keeps one open
escalation per application and reason. When the server stops, the replaying stops and the
spool is closed (server/lifecycle.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextvars import ContextVar
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted

from ats.services import services
from server.shared_spool import SharedSpool
from server.spool import Spool, spooled_handover

logger = logging.getLogger(__name__)

DEFERRABLE = frozenset({"action_hand_to_human"})


# a shorter setting would have every Rasa server hammer a service that is just coming back
MIN_RETRY_SECONDS = 1.0

# set while a spooled hand-over runs again: a failure then raises instead of apologising
replaying: ContextVar[bool] = ContextVar("replaying", default=False)

_spool: Spool | None = None
# the replay loops running in this process, stopped when the server stops
_replays: set[asyncio.Task] = set()


def spool() -> Spool:
    """This process's hand-over spool, in the settings' spool folder, opened on first use."""
    global _spool
    if _spool is None:
        _spool = Spool(services().settings.servers.spool_dir / "handovers")
    return _spool


def defer(conversation_id: str, action: str, channel: str | None) -> None:
    spool().add(
        {
            "conversation_id": conversation_id,
            "action": action,
            "channel": channel,
            "at": time.time(),
        }
    )
    # the conversation id is not logged: a web chat's session id is a bearer secret
    logger.warning(
        "%s could not run (channel %s); kept, to run when the action server and the ATS "
        "store answer again",
        action,
        channel or "unknown",
    )


class HandoverReplay:
    """Runs the spooled hand-overs in this Rasa server, through Rasa's own agent."""

    def __init__(
        self, agent: Any, input_channels: list[Any], retry_seconds: float | None = None
    ) -> None:
        self.agent = agent
        self.input_channels = input_channels
        retry = retry_seconds or services().settings.servers.handover_retry_seconds
        self.retry_seconds = max(MIN_RETRY_SECONDS, retry)
        # with PostgreSQL, the spool moves there at each round: any server runs it, and a lost
        # pod loses none
        self.shared = SharedSpool.for_services(services(), "handovers", spooled_handover)

    def _output(self, channel: str | None) -> OutputChannel:
        for input_channel in self.input_channels:
            if input_channel.name() == channel:
                output = input_channel.get_output_channel()
                if output is not None:
                    return output
        return CollectingOutputChannel()  # REST: the reply stays in the transcript

    async def run(self, item: dict[str, Any]) -> bool:
        conversation_id, name = item["conversation_id"], item["action"]
        processor = self.agent.processor
        output = self._output(item.get("channel"))
        token = replaying.set(True)
        try:
            async with self.agent.lock_store.lock(conversation_id):
                tracker = await processor.get_tracker(conversation_id)
                action = processor._get_action(name)
                events = await action.run(output, self.agent.nlg, tracker, self.agent.domain)
                tracker.update(ActionExecuted(name))
                tracker.update_with_events(events, self.agent.domain)
                tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
                await processor.save_tracker(tracker)
            await processor.execute_side_effects(events, tracker, output)
            logger.info("the deferred %s ran", name)
            return True
        except Exception as exc:
            logger.info("the deferred %s still cannot run (%s)", name, exc)
            return False
        finally:
            replaying.reset(token)

    async def replay(self) -> int:
        """Runs what is spooled; returns how many hand-overs went through."""
        done = 0
        store = spool()
        # the erasure check (server/erasures.py) filters the spool only between replays
        async with store.rewriting:
            if self.shared is not None:
                try:
                    await self.shared.ship(store)
                    done, finished = await self.shared.do(self.run)
                except Exception as exc:  # the database away: what is on disk stays there
                    logger.info("the shared hand-over spool cannot be read (%s)", exc)
                    finished = True
                if not finished:
                    return done
            for path in store.files():
                if not store.take_over(path):
                    continue
                text = store.read(path)
                remaining: list[str] = []
                for line in text.splitlines(keepends=True):
                    try:
                        item = json.loads(line)
                    except json.JSONDecodeError:
                        logger.error("unreadable line in the hand-over spool %s: dropped", path)
                        continue
                    if remaining or not await self.run(item):
                        remaining.append(line)  # in order: the rest waits behind the first failure
                    else:
                        done += 1
                # what was spooled while these ran is kept behind them
                added = store.read(path)[len(text) :]
                store.rewrite(path, [line for line in [*remaining, added] if line])
        return done

    async def loop(self) -> None:
        running = asyncio.current_task()
        if running is not None:
            _replays.add(running)
        try:
            while True:
                await asyncio.sleep(self.retry_seconds)
                try:
                    await self.replay()
                except Exception:  # a broken spool file must not stop the replaying for good
                    logger.exception("replaying deferred hand-overs failed")
        finally:
            if running is not None:
                _replays.discard(running)


def pending() -> int:
    return spool().count()


async def stop_replaying() -> None:
    """Stops this process's replay loops and closes its spool (what is left stays on disk)."""
    global _spool
    for task in list(_replays):
        task.cancel()
    await asyncio.gather(*_replays, return_exceptions=True)
    if _spool is not None:
        _spool.close()
        _spool = None
