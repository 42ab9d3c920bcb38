"""The process the crash harness kills: a scripted local session with fault injection.

``python -m benchmarks._crash_child --data-dir D --script S --config C --progress P
[--kill-at K] [--snapshot OUT] [--seed N]`` runs the script line by line on a virtual clock.
Every *durable step* is numbered and appended to the progress file (``line<TAB>step<TAB>kind``,
flushed and fsynced): a database COMMIT, and every mutating call on the local platform.
Before a step is counted, the "platform" - the local community, the virtual clock and where
the script stands - is saved atomically, so at step K the process SIGKILLs itself and the
next start finds the world exactly as it was: the platform call done, the database write
that would record it not yet made.

The injection lives here, by wrapping `Database.transaction` and the `LocalPlatform`
methods at run time; production code carries no hooks.

Restarting with the same data folder (and without ``--kill-at``) continues:

- overdue scheduled jobs fire first, as on any start;
- the line that was in progress: a ``wait`` goes on to its target time; a member's
  message, edit, join or reaction whose handling the bot had committed nothing for is
  dispatched again as recorded (never posted a second time: the gateway's event was lost
  with the process); a command, button, form or message action whose member saw no answer
  (no reply, no form) is run again, as a member who saw "did not respond" retries; anything
  else goes on with the next line;
- at the end, with ``--snapshot``, everything visible and stored is written as JSON for
  `benchmarks._crash_compare`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import random
import signal
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.local import LocalCommunity, LocalPlatform
from adapters.local.community import write_json_atomically
from adapters.local.responder import LocalResponder
from bot.app.local_session import LocalSession
from bot.app.script import Interpreter, ScriptError
from bot.clock import VirtualClock
from bot.commands import parse_duration
from bot.events import (
    Event,
    MemberJoined,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.settings import Settings
from storage.sqlite import SQLiteDatabase

STATE_FILE = "crash-state.json"

# Every LocalPlatform method that changes what members see. A method added later that is
# missing here is still counted if its name says it changes something (see _mutators).
MUTATORS = (
    "send",
    "edit",
    "delete",
    "add_reaction",
    "remove_reaction",
    "open_thread",
    "archive_thread",
    "unarchive_thread",
    "send_direct",
    "timeout",
    "kick",
    "ban",
    "grant_role",
)
# Methods that only read; anything else public on LocalPlatform is treated as a mutator.
READERS = frozenset(
    {
        "permalink",
        "fetch_message",
        "fetch_member",
        "find_channel",
        "member_count",
        "community_name",
        "parse_message_link",
        "parse_user",
        "parse_channel",
    }
)
# Moderation actions are compared as a log of what was applied, not only as final state:
# a second timeout leaves the same state but restarts the member's clock.
MODERATION = frozenset({"timeout", "kick", "ban", "grant_role"})


@dataclass
class Progress:
    """Where the script stands; saved with the community at every step."""

    line: int = 0
    actor: str = "Alice"
    channel: str = "general"
    event: dict[str, Any] | None = None
    wait_target: str | None = None
    actions: list[list[str]] = field(default_factory=list)
    origin: dict[str, int] = field(default_factory=dict)  # message number -> script line
    answered: bool = False  # the member of an interactive line saw a reply or a form


class Driver:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data_dir: Path = args.data_dir
        self.state_path = self.data_dir / STATE_FILE
        self.lines = args.script.read_text(encoding="utf-8").splitlines()
        self.progress = Progress()
        self.session: LocalSession | None = None
        self.random = random.Random(args.seed)
        self.counting = False
        self.step = 0
        self.script_errors: list[list[Any]] = []
        args.progress.parent.mkdir(parents=True, exist_ok=True)
        self._log = args.progress.open("a", encoding="utf-8")

    # -- running ------------------------------------------------------------------------------

    async def run(self) -> int:
        restarted = self.state_path.exists()
        interrupted: int | None = None
        community = None
        if restarted:
            saved = json.loads(self.state_path.read_text(encoding="utf-8"))
            community = LocalCommunity.from_state(saved["community"])
            self.progress = Progress(**saved["progress"])
            self.step = self._last_step()
        settings = Settings(  # type: ignore[call-arg]
            data_dir=self.data_dir, config_file=self.args.config, _env_file=None
        )
        self.session = await LocalSession.open(
            settings, clock=VirtualClock(), community=community, random_source=self.random
        )
        self._hook_community(self.session.community)
        interpreter = Interpreter(self.session, self.progress.actor, self.progress.channel)
        self.counting = True
        try:
            start = 0
            if restarted:
                await self.session.run_due_jobs()
                interrupted = self.progress.line
                start = await self._resume(interpreter)
            for index in range(start, len(self.lines)):
                await self._run_line(interpreter, index)
            self.counting = False
            self._save()
        finally:
            await self.session.app.close()
        if self.args.snapshot is not None:
            snapshot = take_snapshot(self.session.community, self.progress, settings)
            snapshot["interrupted_line"] = interrupted
            snapshot["script_errors"] = self.script_errors
            self.args.snapshot.write_text(json.dumps(snapshot, ensure_ascii=False))
        return 0

    async def _run_line(self, interpreter: Interpreter, index: int) -> None:
        line = self.lines[index].strip()
        self.random.seed(f"{self.args.seed}:{index}")  # a retried line draws the same
        self.progress.line, self.progress.event = index, None
        self.progress.answered = False
        self.progress.actor, self.progress.channel = interpreter.actor, interpreter.channel
        self.progress.wait_target = None
        if line.startswith("wait "):
            target = self._clock.now() + parse_duration(line.removeprefix("wait "))
            self.progress.wait_target = target.isoformat()
        self._save()
        if self.progress.wait_target is not None:
            await self._wait_until(datetime.fromisoformat(self.progress.wait_target))
        else:
            await self._execute(interpreter, index)

    async def _execute(self, interpreter: Interpreter, index: int) -> None:
        """Run one line; a line that fails (a message a crash lost cannot be reacted to)
        is noted for the comparison, and the script goes on."""
        try:
            await interpreter.execute(self.lines[index])
        except ScriptError as error:
            self.script_errors.append([index, str(error)])

    async def _resume(self, interpreter: Interpreter) -> int:
        """Finish or redo the line the kill interrupted; returns the next line to run."""
        index = self.progress.line
        if index >= len(self.lines):
            return index
        self.random.seed(f"{self.args.seed}:{index}")
        if self.progress.wait_target is not None:
            await self._wait_until(datetime.fromisoformat(self.progress.wait_target))
        elif self.progress.event is not None:
            if not self._committed(index):
                await self._redeliver(self.progress.event)
        elif not self.progress.answered:
            await self._execute(interpreter, index)
        return index + 1

    async def _wait_until(self, target: datetime) -> None:
        assert self.session is not None
        await self.session.advance_to(target)

    async def _redeliver(self, recorded: dict[str, Any]) -> None:
        """Dispatch the member's event again, exactly as the platform recorded it."""
        assert self.session is not None
        community = self.session.community
        kind = recorded["kind"]
        event: Event
        if kind == "joined":
            event = MemberJoined(community.members[recorded["member"]], self._clock.now())
        else:
            message = community.message(recorded["number"])
            if kind == "posted":
                event = MessagePosted(community.posted(message))
            elif kind == "edited":
                event = MessageEdited(community.posted(message), recorded["before"])
            else:
                member = community.members[recorded["member"]]
                kind_type = ReactionAdded if kind == "reacted" else ReactionRemoved
                event = kind_type(community.message_ref(message), member, recorded["emoji"])
        await community.dispatch(event)  # type: ignore[misc]

    # -- fault injection ----------------------------------------------------------------------

    async def count(self, kind: str) -> None:
        """One durable step: save the platform, note the step, and die here if told to."""
        if not self.counting:
            return
        self._save()
        self.step += 1
        self._log.write(f"{self.progress.line}\t{self.step}\t{kind}\n")
        self._log.flush()
        os.fsync(self._log.fileno())
        if self.step == self.args.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def _hook_community(self, community: LocalCommunity) -> None:
        """Save the member's action before the bot hears of it, and note which script line
        each message came from (private answers to an interrupted line are not compared)."""
        dispatch = community.dispatch
        assert dispatch is not None

        async def dispatch_and_save(event: Event) -> None:
            self.progress.event = _redelivery(event)
            self._save()
            await dispatch(event)

        community.dispatch = dispatch_and_save
        record = community.record

        @functools.wraps(record)
        def record_and_note(*args: Any, **kwargs: Any) -> Any:
            message = record(*args, **kwargs)
            self.progress.origin[str(message.number)] = self.progress.line
            return message

        community.record = record_and_note  # type: ignore[method-assign]

    def _save(self) -> None:
        assert self.session is not None
        state = {"community": self.session.community.to_state(), "progress": vars(self.progress)}
        write_json_atomically(self.state_path, state, indent=None)

    @property
    def _clock(self) -> VirtualClock:
        assert self.session is not None
        return self.session.clock  # type: ignore[return-value]

    def _committed(self, index: int) -> bool:
        return any(kind == "commit" for line, _, kind in self._steps() if line == index)

    def _last_step(self) -> int:
        return max((step for _, step, _ in self._steps()), default=0)

    def _steps(self) -> list[tuple[int, int, str]]:
        found = []
        for raw in self.args.progress.read_text(encoding="utf-8").splitlines():
            line, step, kind = raw.split("\t")
            found.append((int(line), int(step), kind))
        return found


def install_faults(driver: Driver) -> None:
    """Wrap the database's transaction and the platform's mutators to count steps."""
    original = SQLiteDatabase.transaction

    @asynccontextmanager
    async def transaction(self: SQLiteDatabase) -> AsyncIterator[Any]:
        nested = self.holds_transaction()  # a savepoint: durable only with its outer one
        async with original(self) as tx:
            yield tx
        if not nested:
            await driver.count("commit")

    SQLiteDatabase.transaction = transaction  # type: ignore[method-assign]
    for name in _mutators():
        setattr(LocalPlatform, name, _counted(getattr(LocalPlatform, name), name, driver))
    for name in ("reply", "open_form"):
        setattr(LocalResponder, name, _answering(getattr(LocalResponder, name), driver))


def _answering(method: Callable[..., Awaitable[None]], driver: Driver) -> Any:
    """Note that the member saw an answer: after a crash, an unanswered member retries."""

    @functools.wraps(method)
    async def answering(self: LocalResponder, *args: Any, **kwargs: Any) -> None:
        await method(self, *args, **kwargs)
        driver.progress.answered = True

    return answering


def _mutators() -> list[str]:
    public = [n for n in vars(LocalPlatform) if not n.startswith("_")]
    methods = [n for n in public if callable(getattr(LocalPlatform, n))]
    return sorted({*MUTATORS, *(n for n in methods if n not in READERS)})


def _counted(method: Callable[..., Awaitable[Any]], name: str, driver: Driver) -> Any:
    @functools.wraps(method)
    async def counted(self: LocalPlatform, *args: Any, **kwargs: Any) -> Any:
        user_id = getattr(args[0], "id", "") if args else ""
        before = _standing(self.community, user_id)
        result = await method(self, *args, **kwargs)
        # A call that changed nothing (a recovering ban already in place) is no action.
        if name in MODERATION and args and _standing(self.community, user_id) != before:
            detail = [str(a) for a in args[1:2] if not isinstance(a, str) or name == "grant_role"]
            user = getattr(args[0], "id", str(args[0]))
            until = self.community.timeouts.get(user, "") if name == "timeout" else ""
            driver.progress.actions.append([name, user, *detail, until])
        await driver.count(f"platform:{name}")
        return result

    return counted


def _standing(community: LocalCommunity, user_id: str) -> tuple[Any, ...]:
    """What moderation actions change about a member on the local platform."""
    member = community.members.get(user_id)
    roles = tuple(role.name for role in member.roles) if member is not None else ()
    return member is not None, user_id in community.banned, community.timeouts.get(user_id), roles


def _redelivery(event: Event) -> dict[str, Any] | None:
    """What it takes to dispatch `event` again after a restart; None: run the line again."""
    if isinstance(event, MemberJoined):
        return {"kind": "joined", "member": event.member.id}
    if isinstance(event, MessagePosted):
        return {"kind": "posted", "number": int(event.message.ref.id)}
    if isinstance(event, MessageEdited):
        return {"kind": "edited", "number": int(event.message.ref.id), "before": event.before_text}
    if isinstance(event, ReactionAdded | ReactionRemoved):
        kind = "reacted" if isinstance(event, ReactionAdded) else "unreacted"
        return {
            "kind": kind,
            "number": int(event.message.id),
            "member": event.member.id,
            "emoji": event.emoji,
        }
    return None


def take_snapshot(
    community: LocalCommunity, progress: Progress, settings: Settings
) -> dict[str, Any]:
    """The community as members see it, the action log and every stored table."""
    connection = sqlite3.connect(settings.database_path)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name"
            )
        ]
        stored = {}
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [c[0] for c in cursor.description]
            stored[table] = [dict(zip(columns, row, strict=True)) for row in cursor]
    finally:
        connection.close()
    return {
        "community": community.to_state(),
        "actions": progress.actions,
        "origin": progress.origin,
        "integrity": integrity,
        "stored": stored,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--script", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--progress", type=Path, required=True)
    parser.add_argument("--kill-at", type=int, default=0)
    parser.add_argument("--snapshot", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # the bot's own warnings are expected here
    driver = Driver(args)
    install_faults(driver)
    return asyncio.run(driver.run())


if __name__ == "__main__":
    raise SystemExit(main())
