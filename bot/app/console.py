"""The interactive local community in the terminal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from adapters.local import LocalCommunity
from bot.app import web
from bot.app.local_session import LocalSession
from bot.app.script import Interpreter, ScriptError
from bot.clock import OffsetClock
from bot.settings import Settings

BANNER = """\
Botschafter — local community “{name}” (no Discord or Slack tokens configured).
You are {actor} in #{channel}. Type a message to post it, /help for bot commands,
help for console instructions, quit to leave. State is kept in {data}.
Members: {members}
"""
BOARD = "Ticket board in your browser: {url}\n"

log = logging.getLogger(__name__)

# How often the waiting prompt looks for what scheduled jobs did meanwhile: quick enough
# to feel live, rare enough to cost nothing.
POLL_SECONDS = 0.25


async def run_console(settings: Settings) -> int:
    session = await LocalSession.open(settings, clock=OffsetClock(), persist=True)
    interpreter = Interpreter(session)
    community = session.community
    services = session.app.services
    scheduler = asyncio.create_task(services.scheduler.run_forever())
    delivery = asyncio.create_task(services.outbox.run_forever())  # retries after an outage
    board = await web.start(
        services, settings, served=[community.community.key], scheduler_task=lambda: scheduler
    )
    print(
        BANNER.format(
            name=community.name,
            actor=interpreter.actor,
            channel=interpreter.channel,
            data=settings.data_dir,
            members=", ".join(m.name for m in community.members.values()),
        )
    )
    if board is not None:
        print(BOARD.format(url=board.board_url(community.community)))
    printer = Printer(community, lambda: _prompt_text(interpreter), sys.stdout)
    watcher = asyncio.create_task(printer.watch())
    try:
        with printer.logging_through():
            await _read_and_run(interpreter, printer, session)
    finally:
        watcher.cancel()
        if board is not None:
            await board.stop()
        services.scheduler.stop()
        services.outbox.stop()
        await asyncio.gather(scheduler, delivery)
        await session.close()
    return 0


async def _read_and_run(interpreter: Interpreter, printer: Printer, session: LocalSession) -> None:
    while True:
        printer.waiting = True
        line = await _read_line(_prompt_text(interpreter))
        printer.waiting = False
        if line is None:
            print()  # end the prompt's line after Ctrl-D
            return
        if line.strip() in ("quit", "exit"):
            return
        printer.catch_up(await run_line(interpreter, line))
        session.save()


async def run_line(interpreter: Interpreter, line: str) -> list[str]:
    """Carry out one typed line: an instruction, a /command, or else a message to post.

    A message may well start with an instruction's word ("as I said, …", "show me …"): only
    a line that is exactly an instruction runs as one, every other line is posted. When an
    instruction then fails (say, editing someone else's message), the answer says how to
    post the line instead.
    """
    text = line.strip()
    if text and not text.startswith("/") and not interpreter.is_instruction(text):
        text = f"say {text}"
    try:
        return await interpreter.execute(text)
    except ScriptError as error:
        extra = [f"! {error}"]
        if not text.startswith(("say ", "/")):
            extra.append(f"  (to post it as a message, type: say {text})")
        return extra
    except Exception:
        # A bug in one instruction must not end the session (and lose its state).
        log.exception("the instruction %r failed", text)
        return ["! that failed because of a bug (details above); the community goes on"]


class Printer:
    """Prints what happens in the community: after each instruction, and also while the
    prompt waits, so a follow-up or a join-wave alert that a scheduled job posts shows up
    when it happens instead of after the next Enter. Log lines go the same way, so they
    never tear through the prompt."""

    def __init__(self, community: LocalCommunity, prompt: Callable[[], str], out: TextIO):
        self._community = community
        self._prompt = prompt
        self._out = out
        self._shown = len(community.transcript)
        self._notes: list[str] = []
        self.waiting = False

    def catch_up(self, extra: Sequence[str] = ()) -> None:
        """Print the transcript lines not shown yet, then `extra`."""
        for line in self._pending(extra):
            print(line, file=self._out)

    def note(self, line: str) -> None:
        """A line that is not part of the transcript (a log record), shown with the next."""
        self._notes.append(line)

    def interrupt_prompt(self) -> None:
        """While the prompt waits: print what happened meanwhile, then the prompt again."""
        if not self.waiting:
            return
        pending = self._pending(())
        if not pending:
            return
        self._out.write("\n" + "\n".join(pending) + "\n" + self._prompt())
        self._out.flush()

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            self.interrupt_prompt()

    @contextlib.contextmanager
    def logging_through(self) -> Iterator[None]:
        """Send log records to `note` instead of straight to the terminal."""
        root = logging.getLogger()
        handler = _NoteHandler(self)
        handler.setFormatter(logging.Formatter("(%(levelname)s) %(name)s: %(message)s"))
        previous = root.handlers[:]
        root.handlers[:] = [handler]
        try:
            yield
        finally:
            root.handlers[:] = previous

    def _pending(self, extra: Sequence[str]) -> list[str]:
        transcript = self._community.transcript
        lines = [*self._notes, *transcript[self._shown :], *extra]
        self._notes.clear()
        self._shown = len(transcript)
        return lines


class _NoteHandler(logging.Handler):
    def __init__(self, printer: Printer) -> None:
        super().__init__()
        self._printer = printer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._printer.note(self.format(record))
        except Exception:
            self.handleError(record)


def _prompt_text(interpreter: Interpreter) -> str:
    return f"{interpreter.actor} #{interpreter.channel}> "


async def _read_line(prompt: str) -> str | None:
    """One line from the terminal; None at its end (Ctrl-D).

    `input` blocks. At a terminal it runs in a daemon thread of its own, so that on Ctrl-C
    the session closes at once instead of waiting for Enter (the loop's executor would
    wait). Piped input ends with its end of file instead, and must stay in the executor:
    a daemon thread blocked in a buffered read would abort the interpreter's shutdown.
    """
    if not sys.stdin.isatty():
        return await asyncio.to_thread(_input, prompt)
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str | None] = loop.create_future()

    def settle(line: str | None) -> None:
        if not answer.done():
            answer.set_result(line)

    def read() -> None:
        line = _input(prompt)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, line)

    threading.Thread(target=read, name="terminal input", daemon=True).start()
    return await answer


def _input(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None
