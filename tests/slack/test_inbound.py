"""What comes in from Slack, as real workspaces send it: text escaped by Slack, members of
other organisations, and forms whose trigger_id lives three seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from slack_fake_api import shown
from slack_harness import SlackRig, open_rig
from slack_harness_users import ALICE, BEN, GENERAL, MODERATORS, TICKETS

from adapters.slack import texts
from adapters.slack.incoming_text import command_text, readable_text
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.tickets import TicketRepository

RULES = """
[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]
"""
# A member of another organisation in a Slack Connect channel: users.info does not know them.
EXTERNAL = "U0EXTERNAL"
CRASHED = "something went wrong"


@pytest.fixture
async def moderated(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[SlackRig]:
    write_config(RULES)
    async with open_rig(settings, clock) as opened:
        yield opened


# -- text: unescaped once on the way in, escaped once on the way out ------------------------


async def test_a_ticket_title_with_ampersand_and_brackets_stays_as_typed(rig: SlackRig) -> None:
    await rig.command(BEN, "/ticket open R&D <help>", channel=GENERAL)
    ticket = await TicketRepository(rig.app.services.db).get(rig.adapter.community.key, 1)
    assert ticket is not None and ticket.title == "R&D <help>"
    [tracker] = [m for m in rig.fake.posts_in(TICKETS) if m.thread_ts is None]
    assert "R&D <help>" in shown(tracker.text)
    assert "&amp;amp;" not in tracker.text and "<help>" not in tracker.text  # escaped once
    await rig.command(BEN, "/ticket show 1", channel=GENERAL)
    assert "R&D <help>" in rig.fake.private_to(BEN)[-1]


async def test_a_form_answer_is_stored_as_typed(rig: SlackRig) -> None:
    """plain_text_input values arrive unescaped: they are not unescaped a second time."""
    await rig.command(BEN, "/ticket open", channel=GENERAL)
    [view] = rig.opened_views()
    await rig.submit(BEN, view, {"title": "Q&A &amp; more <soon>", "details": ""})
    ticket = await TicketRepository(rig.app.services.db).get(rig.adapter.community.key, 1)
    assert ticket is not None and ticket.title == "Q&A &amp; more <soon>"


async def test_message_text_is_checked_as_the_member_typed_it(moderated: SlackRig) -> None:
    await moderated.message(BEN, GENERAL, "R&D <team> sells cheap pills")
    [flag] = moderated.fake.posts_in(MODERATORS)
    assert "R&D <team> sells cheap pills" in shown(flag.text)
    assert "&amp;amp;" not in flag.text


# -- members of other organisations are people -----------------------------------------------


async def external_message(rig: SlackRig, text: str) -> str:
    """A Slack Connect member writes in #general; users.info answers user_not_found."""
    assert EXTERNAL not in rig.fake.users
    ts = rig.fake.post(GENERAL, EXTERNAL, text)
    await rig.event(
        {
            "type": "message",
            "user": EXTERNAL,
            "user_team": "T0OTHERORG",
            "channel": GENERAL,
            "text": text,
            "ts": ts,
            "channel_type": "channel",
        }
    )
    return ts


async def test_a_rule_breach_by_an_external_member_is_flagged_once(moderated: SlackRig) -> None:
    await external_message(moderated, "buy cheap pills now")
    flags = moderated.fake.posts_in(MODERATORS)
    assert len(flags) == 1 and "cheap pills" in shown(flags[0].text)


async def test_an_external_members_message_can_be_reported(moderated: SlackRig) -> None:
    ts = await external_message(moderated, "something odd")
    await moderated.shortcut(BEN, "report_message", GENERAL, ts)
    assert moderated.opened_views(), "the report form should open"
    assert not any(CRASHED in text for text in moderated.fake.private_to(BEN))


async def test_a_bot_id_still_makes_a_bot(moderated: SlackRig) -> None:
    ts = moderated.fake.post(GENERAL, EXTERNAL, "cheap pills, says the integration")
    await moderated.event(
        {
            "type": "message",
            "user": EXTERNAL,
            "bot_id": "B0OTHER",
            "channel": GENERAL,
            "text": "cheap pills, says the integration",
            "ts": ts,
        }
    )
    assert moderated.fake.posts_in(MODERATORS) == []


# -- forms and the three-second trigger --------------------------------------------------------


async def test_a_form_whose_trigger_expired_gets_a_polite_retry(rig: SlackRig) -> None:
    rig.fake.trigger_ttl = 0.0  # every trigger has expired by the time the bot uses it
    await rig.command(BEN, "/ticket open", channel=GENERAL)
    [answer] = rig.fake.private_to(BEN)
    assert "run the command again" in answer
    assert CRASHED not in answer
    assert await TicketRepository(rig.app.services.db).get(rig.adapter.community.key, 1) is None


async def test_a_form_opens_within_three_seconds_while_the_database_is_busy(
    moderated: SlackRig,
) -> None:
    """Another writer holds the database for four seconds (a long outbox transaction, a
    slow disk) while Alice reports a message, whose handler reads the database before it
    asks for the reason: she still gets the form in time, not an error, and can submit it."""
    ts = moderated.fake.post(GENERAL, BEN, "you are all idiots")
    locked = asyncio.Event()

    async def busy() -> None:
        async with moderated.app.services.db.transaction():
            locked.set()
            await asyncio.sleep(4)

    holder = asyncio.create_task(busy())
    await locked.wait()
    started = time.monotonic()
    await moderated.shortcut(ALICE, "report_message", GENERAL, ts)
    await holder
    [opened] = moderated.fake.called("views.open")
    assert opened.at - started < 3.0
    [view] = moderated.fake.views.values()
    assert view["callback_id"].startswith("moderation.report:")
    assert "reason" in str(view["blocks"])
    assert moderated.fake.private_to(ALICE) == []
    await moderated.submit(ALICE, view, {"reason": "insulting"})
    flags = moderated.fake.posts_in(MODERATORS)
    assert len(flags) == 1 and "idiots" in shown(flags[0].text)


async def busy_database(rig: SlackRig, seconds: float) -> asyncio.Task[None]:
    """Another writer holds the database for `seconds` (a long outbox transaction, a slow
    disk); returns once it holds it."""
    locked = asyncio.Event()

    async def hold() -> None:
        async with rig.app.services.db.transaction():
            locked.set()
            await asyncio.sleep(seconds)

    holder = asyncio.create_task(hold())
    await locked.wait()
    return holder


async def test_a_slow_command_that_opens_no_form_shows_no_waiting_modal(rig: SlackRig) -> None:
    """/kudos top reads the database: slow today, but it answers with text, so the member
    sees that answer privately and no "one moment" modal they never asked for."""
    holder = await busy_database(rig, 2.5)
    await rig.command(BEN, "/kudos top", channel=GENERAL)
    await holder
    assert rig.fake.called("views.open") == []
    [answer] = rig.fake.posts_in(GENERAL)
    assert "Kudos" in shown(answer.text)


async def test_a_slow_button_that_opens_no_form_shows_no_waiting_modal(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    """Accepting the rules writes to the database: slow today, answered privately."""
    write_config("[welcome.rules]\nenabled = true\n")
    async with open_rig(settings, clock) as rig:
        holder = await busy_database(rig, 2.5)
        ts = rig.fake.post(GENERAL, BEN, "welcome!")
        await rig.press(BEN, GENERAL, ts, f"welcome:accept:{BEN}")
        await holder
        assert rig.fake.called("views.open") == []
        assert len(rig.fake.private_to(BEN)) == 1


async def test_a_slow_command_that_may_open_a_form_holds_the_trigger_with_a_waiting_modal(
    rig: SlackRig,
) -> None:
    """/ticket open without a title asks for one in a form: while the database is busy the
    trigger is spent on a "one moment" modal in time, and the form replaces it."""
    holder = await busy_database(rig, 4)
    started = time.monotonic()
    await rig.command(BEN, "/ticket open", channel=GENERAL)
    await holder
    [opened] = rig.fake.called("views.open")
    assert opened.at - started < 3.0
    [view] = rig.fake.views.values()
    assert view["callback_id"] == "ticket:open"


# -- the pieces ----------------------------------------------------------------------------------


def test_entities_are_decoded_once_and_markup_is_kept_in_command_text() -> None:
    assert command_text("R&amp;D &lt;team&gt; &amp;lt;b&amp;gt;") == "R&D <team> &lt;b&gt;"
    assert command_text("<@U0BEN|ben> <https://x.io/?a=1&amp;b=2|x>") == (
        "<@U0BEN|ben> <https://x.io/?a=1&b=2|x>"
    )


def test_message_text_decodes_entities_once_around_markup() -> None:
    names = {"U0BEN": "Ben"}.get
    assert readable_text("&amp;lt;3 <@U0BEN> &lt;@U0MO&gt;", names) == "&lt;3 @Ben <@U0MO>"


def test_the_adapters_texts_exist_in_english() -> None:
    assert texts.missing_in_english() == []
