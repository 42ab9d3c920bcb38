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


async def test_a_sentence_that_starts_with_an_instruction_word_is_posted(
    session: LocalSession,
) -> None:
    interpreter = Interpreter(session)
    sentences = [
        "hello everyone",
        "as I said, hello",
        "show me the dark mode",
        "wait for me",
        "in the morning it crashes",
        "members are great",
        "join us tonight",
        "help me please",
        "react 3 times and it breaks",
    ]
    for sentence in sentences:
        assert await run_line(interpreter, sentence) == []
        assert session.community.read("general")[-1].text == sentence
    assert await run_line(interpreter, "as Ben") == ["(you are now Ben)"]
    assert await run_line(interpreter, "in #tickets") == ["(you are now in #tickets)"]


async def test_an_exact_instruction_that_fails_says_how_to_post_the_line(
    session: LocalSession,
) -> None:
    interpreter = Interpreter(session)
    await run_line(interpreter, "hello")
    interpreter.actor = "Ben"
    assert await run_line(interpreter, "edit 1 goodbye") == [
        "! Ben did not write message 1",
        "  (to post it as a message, type: say edit 1 goodbye)",
    ]


async def test_a_member_who_leaves_is_gone_and_their_messages_stay(
    session: LocalSession,
) -> None:
    interpreter = Interpreter(session)
    interpreter.actor = "Ben"
    await run_line(interpreter, "bye all")
    interpreter.actor = "Alice"
    assert await run_line(interpreter, "leave Ben") == []
    community = session.community
    assert "ben" not in community.members and community.transcript[-1] == "* Ben left"
    assert community.read("general")[-1].text == "bye all"
    assert await run_line(interpreter, "as Ben") == [
        "! no member named “Ben”; members: Alice, Mo, Amy",
        "  (to post it as a message, type: say as Ben)",
    ]


async def test_a_timed_out_member_cannot_post_or_run_commands_until_it_ends(
    session: LocalSession,
) -> None:
    community = session.community
    interpreter = Interpreter(session, actor="Ben")
    until = community.now() + timedelta(hours=1)
    community.timeouts["ben"] = until.isoformat()
    told = (
        f"! Ben is timed out until {until:%Y-%m-%d %H:%M} UTC and cannot post, react or run"
        " commands until then"
    )
    shown = len(community.messages)
    assert await run_line(interpreter, "hello?") == [told]
    assert await run_line(interpreter, "/ticket list") == [told]
    assert len(community.messages) == shown
    await run_line(interpreter, "wait 61m")
    assert await run_line(interpreter, "hello again") == []
    assert community.read("general")[-1].text == "hello again"


async def test_a_locked_thread_refuses_posts_and_an_archived_one_reopens(
    session: LocalSession,
) -> None:
    community = session.community
    thread = community.add_channel("Ticket #9: old", parent_id="tickets")
    interpreter = Interpreter(session, actor="Ben", channel=thread.name)
    thread.archived = thread.locked = True
    assert await run_line(interpreter, "me too") == [
        "! the thread “Ticket #9: old” is locked; only admins can post in it"
    ]
    thread.locked = False
    assert await run_line(interpreter, "me too") == []
    assert not thread.archived
    assert community.transcript[-2] == "(thread “Ticket #9: old” unarchived by Ben's post)"


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
