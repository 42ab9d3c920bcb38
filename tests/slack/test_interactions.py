"""Events and interactions from Slack arrive at cogs as the neutral events they declare,
once each, with the member's roles; a synthetic cog records what it receives."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import ClassVar

import pytest
from slack_harness import SlackRig, open_rig, signature
from slack_harness_users import AMY, BEN, GENERAL, MO, MODERATORS, WELCOME

from bot.clock import VirtualClock
from bot.cog import Cog, button, command, form, listen, message_command
from bot.commands import Option, OptionType
from bot.events import (
    Event,
    MemberJoined,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.interaction import Interaction
from bot.outgoing import Button, Form, FormField, Markup, Mention, OutgoingMessage, rich
from bot.settings import Settings
from cogs.meta import MetaCog


class ProbeCog(Cog):
    """Records every event and answers interactions the way a feature cog would."""

    name = "probe"
    seen: ClassVar[list[Event]] = []
    interactions: ClassVar[list[Interaction]] = []

    @listen(MemberJoined)
    @listen(MessagePosted)
    @listen(MessageEdited)
    @listen(ReactionAdded)
    @listen(ReactionRemoved)
    async def record(self, event: Event) -> None:
        self.seen.append(event)

    @command(
        "probe poke",
        "Poke a member.",
        Option("member", "Who", OptionType.USER),
        Option("times", "How often", OptionType.INTEGER, required=False, min_value=1),
    )
    async def poke(self, interaction: Interaction) -> None:
        self.interactions.append(interaction)
        target = interaction.args["member"]
        assert target is not None
        await interaction.reply(
            OutgoingMessage(
                text=rich(Markup("**Poke** for "), Mention(target.id), " <!channel> *me*"),  # type: ignore[attr-defined]
                buttons=(Button("probe:ack", "Got it"),),
            )
        )

    @command("probe ask", "Open a form.", private=True)
    async def ask(self, interaction: Interaction) -> None:
        await interaction.open_form(
            Form("probe:form", "Tell us more", (FormField("story", "Your story", long=True),))
        )

    @form("probe:form")
    async def answered(self, interaction: Interaction) -> None:
        self.interactions.append(interaction)
        await interaction.reply(rich("Thanks: ", interaction.form_values["story"]))

    @button("probe:")
    async def pressed(self, interaction: Interaction) -> None:
        self.interactions.append(interaction)
        await interaction.reply(rich("Pressed."))

    @message_command("Report message", description="Tell the moderators.")
    async def report(self, interaction: Interaction) -> None:
        self.interactions.append(interaction)
        await interaction.reply(rich("Reported."))


@pytest.fixture
async def probe(settings: Settings, clock: VirtualClock) -> AsyncIterator[SlackRig]:
    ProbeCog.seen = []
    ProbeCog.interactions = []
    async with open_rig(settings, clock, cog_types=[MetaCog, ProbeCog]) as opened:
        yield opened


def seen(kind: type[Event]) -> list[Event]:
    return [e for e in ProbeCog.seen if isinstance(e, kind)]


async def test_messages_arrive_with_the_author_and_their_roles(probe: SlackRig) -> None:
    await probe.message(MO, GENERAL, "hello <@U0BEN> & <https://x.io|x.io>")  # Slack escapes &
    [event] = seen(MessagePosted)
    assert isinstance(event, MessagePosted)
    message = event.message
    assert message.author.name == "mo"
    assert [r.name for r in message.author.roles] == ["Moderators"]
    assert message.text == "hello @Ben & https://x.io"
    assert message.mentioned_user_ids == ("U0BEN",)
    assert message.ref.channel.name == "general"


async def test_bot_messages_and_the_bots_own_messages_are_ignored(probe: SlackRig) -> None:
    ts = probe.fake.next_ts()
    await probe.event(
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0OTHER",
            "text": "spam",
            "channel": GENERAL,
            "ts": ts,
        }
    )
    await probe.event(
        {
            "type": "message",
            "user": "U0BOT",
            "bot_id": "B0BOT",
            "text": "mine",
            "channel": GENERAL,
            "ts": probe.fake.next_ts(),
        }
    )
    await probe.event(
        {
            "type": "message",
            "subtype": "channel_join",
            "user": BEN,
            "text": "joined",
            "channel": GENERAL,
            "ts": probe.fake.next_ts(),
        }
    )
    assert seen(MessagePosted) == []


async def test_edits_arrive_with_the_text_before_and_unfurls_do_not(probe: SlackRig) -> None:
    ts = probe.fake.post(GENERAL, BEN, "frist")
    edited = {"type": "message", "user": BEN, "text": "first", "ts": ts}
    await probe.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": GENERAL,
            "message": edited,
            "previous_message": {**edited, "text": "frist"},
            "ts": probe.fake.next_ts(),
        }
    )
    await probe.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": GENERAL,
            "message": {**edited, "attachments": [{}]},
            "previous_message": edited,
            "ts": probe.fake.next_ts(),
        }
    )
    [event] = seen(MessageEdited)
    assert isinstance(event, MessageEdited)
    assert (event.before_text, event.message.text) == ("frist", "first")


async def test_thread_replies_arrive_in_a_thread_channel(probe: SlackRig) -> None:
    parent = probe.fake.post(GENERAL, BEN, "question")
    await probe.message(AMY, GENERAL, "answer", thread_ts=parent)
    [event] = seen(MessagePosted)
    assert isinstance(event, MessagePosted)
    channel = event.message.ref.channel
    assert channel.is_thread and channel.parent_id == GENERAL
    await probe.adapter.send(channel, OutgoingMessage.of("bot in thread"))
    assert probe.fake.posts_in(GENERAL)[-1].thread_ts == parent


async def test_reactions_arrive_as_unicode_emoji_and_the_bots_own_are_ignored(
    probe: SlackRig,
) -> None:
    ts = probe.fake.post(MODERATORS, BEN, "flag")
    await probe.react(MO, MODERATORS, ts, "white_check_mark")
    await probe.react(MO, MODERATORS, ts, "+1::skin-tone-3", added=False)
    await probe.react("U0BOT", MODERATORS, ts, "wastebasket")
    added, removed = seen(ReactionAdded), seen(ReactionRemoved)
    assert [(e.emoji, e.member.id) for e in added] == [("✅", MO)]  # type: ignore[attr-defined]
    assert [e.emoji for e in removed] == ["👍"]  # type: ignore[attr-defined]
    assert added[0].message.id == ts  # type: ignore[attr-defined]


async def test_a_retried_event_is_processed_once(probe: SlackRig) -> None:
    ts = probe.fake.post(MODERATORS, BEN, "flag")
    first = await probe.react(MO, MODERATORS, ts, "wastebasket", event_id="EvSAME")
    again = await probe.react(MO, MODERATORS, ts, "wastebasket", event_id="EvSAME", retry=1)
    assert (first, again) == (200, 200)  # the retry is acknowledged, so Slack stops
    assert len(seen(ReactionAdded)) == 1


async def test_joining_the_workspace_and_the_welcome_channel_is_one_join(probe: SlackRig) -> None:
    user = probe.fake.add_user("U0NEW", "Nia", locale="de-DE")
    await probe.event({"type": "team_join", "user": user})
    await probe.event(
        {"type": "member_joined_channel", "user": "U0NEW", "channel": WELCOME, "channel_type": "C"}
    )
    [event] = seen(MemberJoined)
    assert isinstance(event, MemberJoined)
    assert event.member.locale == "de-DE" and event.member.joined_at is not None


async def test_joining_the_welcome_channel_counts_but_other_channels_do_not(
    probe: SlackRig,
) -> None:
    await probe.event({"type": "member_joined_channel", "user": BEN, "channel": GENERAL})
    assert seen(MemberJoined) == []
    await probe.event({"type": "member_joined_channel", "user": BEN, "channel": WELCOME})
    assert [e.member.id for e in seen(MemberJoined)] == [BEN]  # type: ignore[attr-defined]


async def test_bots_joining_are_not_welcomed(probe: SlackRig) -> None:
    user = probe.fake.add_user("U0HOOK", "hookbot", bot=True)
    await probe.event({"type": "team_join", "user": user})
    assert seen(MemberJoined) == []


async def test_typed_options_are_parsed_from_slack_mentions(probe: SlackRig) -> None:
    await probe.command(MO, "/probe poke <@U0BEN|ben> 2")
    [interaction] = ProbeCog.interactions
    assert interaction.args["member"].id == BEN  # type: ignore[attr-defined]
    assert interaction.args["times"] == 2
    post = probe.fake.posts_in(GENERAL)[-1]
    # Bot markup becomes mrkdwn; the member's text is escaped and never translated.
    assert post.text.startswith("*Poke* for <@U0BEN> &lt;!channel&gt; *me*")
    actions = [b for b in post.blocks or [] if b["type"] == "actions"]
    assert actions[0]["elements"][0]["action_id"] == "probe:ack"


async def test_bad_option_values_get_a_usage_error_and_run_nothing(probe: SlackRig) -> None:
    await probe.command(MO, "/probe poke nobody")
    assert ProbeCog.interactions == []
    assert "is not a member" in probe.fake.private_to(MO)[-1]
    await probe.command(MO, "/probe poke <@U0BEN> 0")
    assert "at least 1" in probe.fake.private_to(MO)[-1]


async def test_buttons_are_block_actions_answered_privately(probe: SlackRig) -> None:
    await probe.command(MO, "/probe poke <@U0BEN>")
    post = probe.fake.posts_in(GENERAL)[-1]
    await probe.press(BEN, GENERAL, post.ts, "probe:ack")
    pressed = ProbeCog.interactions[-1]
    assert pressed.action_id == "probe:ack" and pressed.message is not None
    assert pressed.message.id == post.ts
    assert probe.fake.private_to(BEN) == ["Pressed."]


async def test_forms_open_as_modals_and_submissions_reach_the_cog(probe: SlackRig) -> None:
    await probe.command(AMY, "/probe ask")
    [view] = probe.opened_views()
    assert view["type"] == "modal" and view["callback_id"] == "probe:form"
    assert view["submit"]["text"] == "Absenden"  # Amy reads German
    assert probe.fake.called("views.open")[0].params["trigger_id"] in probe.fake.triggers
    await probe.submit(AMY, view, {"story": "It <b>broke</b> @here"})
    submitted = ProbeCog.interactions[-1]
    assert submitted.form_values == {"story": "It <b>broke</b> @here"}
    assert submitted.channel is not None and submitted.channel.id == GENERAL
    [ephemeral] = probe.fake.called("chat.postEphemeral")
    assert "&lt;b&gt;" in ephemeral.params["text"] and "@here" not in ephemeral.params["text"]


async def test_report_message_is_a_message_shortcut(probe: SlackRig) -> None:
    ts = probe.fake.post(GENERAL, BEN, "buy cheap pills")
    await probe.shortcut(MO, "report_message", GENERAL, ts)
    reported = ProbeCog.interactions[-1]
    assert reported.target is not None and reported.target.text == "buy cheap pills"
    assert reported.target.author.id == BEN
    assert probe.fake.private_to(MO) == ["Reported."]


async def test_an_unknown_command_gets_a_polite_answer(probe: SlackRig) -> None:
    await probe.command(BEN, "/nonsense")
    assert "no command /nonsense" in probe.fake.private_to(BEN)[-1]


async def test_an_ack_is_sent_before_the_work_is_done(probe: SlackRig) -> None:
    """The HTTP response arrives while the cog's work is still queued (lazy listener)."""
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEST",
            "event_id": "EvAck",
            "event": {
                "type": "message",
                "user": BEN,
                "text": "hi",
                "channel": GENERAL,
                "ts": probe.fake.next_ts(),
            },
        }
    )

    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(body, stamp),
    }
    async with probe.http.post(probe.url, data=body, headers=headers) as response:
        assert response.status == 200
        assert len(probe.adapter.work) == 1 and seen(MessagePosted) == []
    await probe.settle()
    assert len(seen(MessagePosted)) == 1
