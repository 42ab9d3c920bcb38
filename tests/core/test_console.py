"""The terminal shows what happens while it waits for input, and logs never tear it."""

from __future__ import annotations

import io
import logging

from adapters.local import LocalCommunity
from bot.console import Printer

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
