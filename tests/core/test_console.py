"""The terminal shows what happens while it waits for input, and logs never tear it."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest

from adapters.local import LocalCommunity
from bot.app.console import Printer, run_line
from bot.app.local_session import LocalSession
from bot.app.script import Interpreter
from bot.clock import OffsetClock
from bot.cog import Cog, job
from bot.settings import Settings
from storage.jobs import Job

PROMPT = "Alice #general> "


def printer_for(community: LocalCommunity) -> tuple[Printer, io.StringIO]:
    out = io.StringIO()
    return Printer(community, lambda: PROMPT, out), out


def test_what_a_scheduled_job_posts_shows_while_the_prompt_waits() -> None:
    community = LocalCommunity()
    printer, out = printer_for(community)
    printer.waiting = True
    printer.interrupt_prompt()
    assert out.getvalue() == ""  # nothing happened, the prompt stays as it is

    community.log("(edited 2) Botschafter: Join wave over")
    printer.interrupt_prompt()
    assert out.getvalue() == f"\n(edited 2) Botschafter: Join wave over\n{PROMPT}"

    printer.catch_up()
    assert out.getvalue().count("Join wave over") == 1  # shown once, not again


def test_nothing_interrupts_an_instruction_being_carried_out() -> None:
    community = LocalCommunity()
    printer, out = printer_for(community)
    printer.waiting = False
    community.log("* Zoe joined")
    printer.interrupt_prompt()
    assert out.getvalue() == ""
    printer.catch_up(["(you are now Zoe)"])
    assert out.getvalue() == "* Zoe joined\n(you are now Zoe)\n"


def test_log_records_are_printed_with_the_transcript_not_through_the_prompt() -> None:
    community = LocalCommunity()
    printer, out = printer_for(community)
    root = logging.getLogger()
    before = root.handlers[:]
    with printer.logging_through():
        logging.getLogger("cogs.welcome.waves").warning("join wave in %s", "local:demo")
        assert out.getvalue() == ""
        community.log("[#moderators] 2 Botschafter: 🚨 Join wave")
        printer.waiting = True
        printer.interrupt_prompt()
    assert root.handlers == before
    assert out.getvalue() == (
        "\n(WARNING) cogs.welcome.waves: join wave in local:demo\n"
        f"[#moderators] 2 Botschafter: 🚨 Join wave\n{PROMPT}"
    )


class Reminders(Cog):
    name = "reminders"
    fired: list[str]

    async def setup(self) -> None:
        self.fired = []

    @job("remind")
    async def remind(self, scheduled: Job) -> None:
        self.fired.append(scheduled.key)


async def test_wait_in_the_terminal_jumps_ahead_and_fires_what_falls_due(
    settings: Settings,
) -> None:
    clock = OffsetClock()
    session = await LocalSession.open(settings, clock=clock, cog_types=[Reminders])
    try:
        started = clock.now()
        await session.app.services.scheduler.schedule(
            session.community.community, "remind", started + timedelta(days=2), "r1"
        )
        interpreter = Interpreter(session)
        assert await interpreter.execute("wait 1d") == ["(1d pass; 0 scheduled job(s) ran)"]
        assert await interpreter.execute("wait 1d1m") == ["(1d1m pass; 1 scheduled job(s) ran)"]
        assert clock.now() - started >= timedelta(days=2, minutes=1)
        [reminders] = session.app.dispatcher.cogs
        assert isinstance(reminders, Reminders) and reminders.fired == ["r1"]
    finally:
        await session.app.close()


def test_an_offset_clock_never_runs_backwards() -> None:
    clock = OffsetClock()
    before = clock.now()
    clock.set(before - timedelta(days=1))
    assert clock.now() >= before
    clock.set(before + timedelta(hours=5))
    assert clock.now() >= before + timedelta(hours=5)


async def test_plain_text_is_posted_and_a_sentence_that_looks_like_an_instruction_gets_a_hint(
    session: LocalSession,
) -> None:
    interpreter = Interpreter(session)
    assert await run_line(interpreter, "hello everyone") == []
    assert session.community.read("general")[-1].text == "hello everyone"
    assert await run_line(interpreter, "as I said, hello") == [
        "! no member named “I said, hello”; members: Alice, Mo, Amy, Ben",
        "  (to post it as a message, type: say as I said, hello)",
    ]
    assert await run_line(interpreter, "say as I said, hello") == []
    assert session.community.read("general")[-1].text == "as I said, hello"


async def test_a_bug_in_an_instruction_does_not_end_the_terminal(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    interpreter = Interpreter(session)

    async def broken(rest: str) -> list[str]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(interpreter, "_do_members", broken)
    with caplog.at_level(logging.ERROR):
        assert await run_line(interpreter, "members") == [
            "! that failed because of a bug (details above); the community goes on"
        ]
    assert "RuntimeError: a bug" in caplog.text
    assert await run_line(interpreter, "hello again") == []
