"""Slash commands, buttons, forms and "Report message" on a real discord.py client."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import discord
import pytest
from pydantic import SecretStr
from simcord import SetupError

from adapters.discord import DiscordAdapter, DiscordOptions
from bot.cog import Cog, button, command, form, message_command
from bot.commands import Option, OptionType, Permission
from bot.interaction import Interaction
from bot.outgoing import Button, Form, FormField, Mention, OutgoingMessage, rich
from cogs.meta import MetaCog


class ProbeCog(Cog):
    """Commands that show what the adapter delivered."""

    name = "probe"

    @command(
        "probe typed",
        "Every option type.",
        Option("count", "A number", OptionType.INTEGER, min_value=1, max_value=9),
        Option("who", "A member", OptionType.USER),
        Option("where", "A channel", OptionType.CHANNEL),
        Option("link", "A message link", OptionType.MESSAGE_LINK),
        Option("wait", "A duration", OptionType.DURATION),
        Option("mood", "A choice", OptionType.CHOICE, choices=("calm", "busy")),
        Option("loud", "Yes or no", OptionType.BOOLEAN),
        Option("note", "Free text", required=False),
        private=True,
    )
    async def typed(self, interaction: Interaction) -> None:
        args = interaction.args
        self.seen = dict(args.values)
        await interaction.reply(f"count={args['count']} wait={args['wait']}")

    @command(
        "probe echo",
        "Say it back, publicly.",
        Option("text", "What to say"),
        description_de="Sag es laut zurück.",
    )
    async def echo(self, interaction: Interaction) -> None:
        await interaction.reply(
            rich(Mention(interaction.member.id), " said: ", interaction.args.text("text") or "")
        )

    @command("probe slow", "Answer after a while.", private=True)
    async def slow(self, interaction: Interaction) -> None:
        await asyncio.sleep(0.2)
        await interaction.reply("finally")

    @command("probe slowpublic", "Public answer after a while, error privately.")
    async def slow_public(self, interaction: Interaction) -> None:
        await asyncio.sleep(0.2)
        await interaction.reply("just for you", private=True)

    @command("probe slowform", "Open a form too late.")
    async def slow_form(self, interaction: Interaction) -> None:
        await asyncio.sleep(0.2)
        await interaction.open_form(Form("probeform:2", "Too late", (FormField("x", "X"),)))

    @command("probe slowsilent", "Work a while, answer nothing.")
    async def slow_silent(self, interaction: Interaction) -> None:
        await asyncio.sleep(0.2)

    @command("probe silent", "Do something without answering.")
    async def silent(self, interaction: Interaction) -> None:
        self.silent_ran = True

    @command("probe fail", "Fail with a bug.")
    async def fail(self, interaction: Interaction) -> None:
        raise RuntimeError("a bug")

    @command("probe mod", "Moderators only.", permission=Permission.MODERATOR, private=True)
    async def mod(self, interaction: Interaction) -> None:
        await interaction.reply("moderator work done")

    @command("sweep", "Moderators only, on its own.", permission=Permission.MODERATOR, private=True)
    async def sweep(self, interaction: Interaction) -> None:
        await interaction.reply("swept")

    @command("probe buttons", "Show buttons.")
    async def buttons(self, interaction: Interaction) -> None:
        await interaction.reply(
            OutgoingMessage(
                text=rich("Pick one"),
                buttons=(Button("probe:yes:42", "Yes"), Button("probe:no:42", "No")),
            )
        )

    @button("probe:")
    async def pressed(self, interaction: Interaction) -> None:
        self.pressed_with = (interaction.action_id, interaction.message)
        await interaction.reply(f"you pressed {interaction.action_id}")

    @command("probe form", "Open a form.")
    async def open(self, interaction: Interaction) -> None:
        await interaction.open_form(
            Form(
                "probeform:1",
                "Tell me",
                (
                    FormField("what", "What happened?", long=True),
                    FormField("when", "When?", required=False),
                ),
            )
        )

    @form("probeform:")
    async def submitted(self, interaction: Interaction) -> None:
        self.form = (interaction.action_id, dict(interaction.form_values))
        await interaction.reply(f"thanks, {interaction.form_values['what']}")

    @message_command("Report message")
    async def report(self, interaction: Interaction) -> None:
        target = interaction.target
        assert target is not None
        self.reported = target
        await interaction.reply(f"reported: {target.text}")


@pytest.fixture
async def world(make_world: Any) -> Any:
    async with make_world(cog_types=[MetaCog, ProbeCog]) as opened:
        yield opened


async def test_commands_are_registered_as_groups_with_german_descriptions(world: Any) -> None:
    registered = world.env.backend.commands[world.guild.id]
    probe = registered[("probe", 1)]
    echo = next(o for o in probe["options"] if o["name"] == "echo")
    assert echo["type"] == 1 and echo["description"] == "Say it back, publicly."
    assert echo["description_localizations"] == {"de": "Sag es laut zurück."}
    typed = next(o for o in probe["options"] if o["name"] == "typed")
    types = {o["name"]: o["type"] for o in typed["options"]}
    assert types == {
        "count": 4,
        "who": 6,
        "where": 7,
        "link": 3,
        "wait": 3,
        "mood": 3,
        "loud": 5,
        "note": 3,
    }
    assert registered[("Report message", 3)]["type"] == 3


async def test_moderator_and_admin_commands_are_hidden_from_members(world: Any) -> None:
    general = world.channels["general"]
    for_ben = world.people["Ben"].available_commands(general)
    assert "help" in for_ben and "probe typed" in for_ben
    assert "config show" not in for_ben and "sweep" not in for_ben
    assert "config show" in world.people["Alice"].available_commands(general)
    assert "sweep" in world.people["Mo"].available_commands(general)
    with pytest.raises(SetupError):
        await world.people["Ben"].slash(general, "sweep")


async def test_help_answers_privately_in_the_channel(world: Any) -> None:
    result = await world.people["Ben"].slash(world.channels["general"], "help")
    assert result.ephemeral
    text = world.text_of(result.response)
    assert "/about" in text and "/probe echo" in text
    assert "/config show" not in text, "members do not see admin commands in /help"


async def test_about_names_the_server_and_platform(world: Any) -> None:
    result = await world.people["Ben"].slash(world.channels["general"], "about")
    text = world.text_of(result.response)
    assert "discord" in text and "Botschafter Test" in text
    assert not result.ephemeral


async def test_typed_options_arrive_as_neutral_values(world: Any) -> None:
    general = world.channels["general"]
    anchor = await world.people["Ben"].send(general, "link target")
    link = f"https://discord.com/channels/{world.guild.id}/{general.id}/{anchor.id}"
    result = await world.people["Ben"].slash(
        general,
        "probe typed",
        count=3,
        who=world.people["Amy"],
        where=world.channels["tickets"],
        link=link,
        wait="1d12h",
        mood="busy",
        loud=True,
    )
    assert world.text_of(result.response) == "count=3 wait=1 day, 12:00:00"
    seen = world.cog(ProbeCog).seen
    assert seen["who"] == world.user_ref("Amy")
    assert seen["where"].id == str(world.channels["tickets"].id) and seen["where"].name == "tickets"
    assert seen["link"].id == str(anchor.id) and seen["link"].channel.id == str(general.id)
    assert seen["wait"] == timedelta(days=1, hours=12)
    assert (seen["mood"], seen["loud"], seen.get("note")) == ("busy", True, None)


async def test_bad_text_values_get_a_polite_private_error_and_nothing_runs(world: Any) -> None:
    general = world.channels["general"]
    common = dict(count=3, who=world.people["Amy"], where=general, mood="calm", loud=False)
    result = await world.people["Ben"].slash(
        general, "probe typed", link="not a link", wait="1d", **common
    )
    assert result.ephemeral
    assert "is not a link to a message in this community" in world.text_of(result.response)
    foreign = (
        "https://discord.com/channels/1234567890123456789/1234567890123456789/1234567890123456789"
    )
    result = await world.people["Ben"].slash(
        general, "probe typed", link=foreign, wait="1d", **common
    )
    assert "is not a link to a message in this community" in world.text_of(result.response)
    anchor = await world.people["Ben"].send(general, "x")
    link = f"https://discord.com/channels/{world.guild.id}/{general.id}/{anchor.id}"
    result = await world.people["Ben"].slash(
        general, "probe typed", link=link, wait="soon", **common
    )
    assert "is not a duration" in world.text_of(result.response)
    assert not hasattr(world.cog(ProbeCog), "seen")


async def test_echoed_user_text_never_pings_but_explicit_mentions_do(world: Any) -> None:
    general = world.channels["general"]
    amy = world.people["Amy"]
    text = f"@everyone **loud** <@&{world.roles['Moderators'].id}> <@{amy.id}>"
    result = await world.people["Ben"].slash(general, "probe echo", text=text)
    stored = world.env.backend.get_message(general.id, result.response.id)
    assert stored.ping_user_ids == [world.people["Ben"].id], "only the explicit Mention pings"
    assert stored.ping_role_ids == [] and not stored.mention_everyone
    assert "\\*\\*loud\\*\\*" in stored.content, "markdown in user text is shown literally"


async def test_slow_handlers_are_acknowledged_in_time_and_answer_afterwards(world: Any) -> None:
    result = await world.people["Ben"].slash(world.channels["general"], "probe slow")
    callbacks = [c.json["type"] for c in world.env.http_requests if c.path.endswith("/callback")]
    assert callbacks == [5], "acknowledged with a private 'thinking' placeholder"
    assert result.ephemeral
    assert world.text_of(result.response) == "finally"


async def test_a_private_reply_after_a_public_acknowledgement_stays_private(world: Any) -> None:
    ben = world.people["Ben"]
    result = await ben.slash(world.channels["general"], "probe slowpublic")
    assert result.response is None, "the public 'thinking' placeholder is gone"
    followup = result.followups[-1]
    assert followup.ephemeral and followup.content == "just for you"
    visible_to_amy = world.texts("general", viewer="Amy")
    assert not any("just for you" in text for text in visible_to_amy)


async def test_a_handler_that_answers_nothing_still_closes_the_interaction(world: Any) -> None:
    result = await world.people["Ben"].slash(world.channels["general"], "probe silent")
    assert world.cog(ProbeCog).silent_ran
    assert result.acknowledged and result.ephemeral
    assert world.text_of(result.response) == "Done."


async def test_a_slow_handler_that_answers_nothing_leaves_no_placeholder(world: Any) -> None:
    result = await world.people["Ben"].slash(world.channels["general"], "probe slowsilent")
    assert result.acknowledged and result.response is None, "'is thinking…' removed"


async def test_a_form_after_the_acknowledgement_asks_to_try_again(world: Any) -> None:
    result = await world.people["Ben"].slash(world.channels["general"], "probe slowform")
    assert result.modal is None
    answer = result.followups[-1] if result.followups else result.response
    assert "took too long to open the form" in world.text_of(answer)


async def test_a_crash_reaches_the_member_as_a_private_apology(world: Any) -> None:
    result = await world.people["Ben"].slash(world.channels["general"], "probe fail")
    assert result.ephemeral
    assert "something went wrong on our side" in world.text_of(result.response)


async def test_moderator_commands_are_checked_on_the_server_too(world: Any) -> None:
    general = world.channels["general"]
    result = await world.people["Mo"].slash(general, "probe mod")
    assert world.text_of(result.response) == "moderator work done"
    # A group is shown to the least privileged level among its sub-commands, so Ben can
    # pick /probe mod; the dispatcher still refuses him.
    result = await world.people["Ben"].slash(general, "probe mod")
    assert result.ephemeral
    assert "only members with the moderator role" in world.text_of(result.response)
    # Someone who holds the Discord permission but not the configured role:
    helpers = world.guild.create_role(
        "Helpers", permissions=discord.Permissions(manage_messages=True)
    )
    cleo = world.guild.add_member(world.env.create_user("cleo"), roles=[helpers])
    await world.env.settle()
    result = await cleo.slash(general, "sweep")
    assert "only members with the moderator role" in world.text_of(result.response)


async def test_buttons_route_their_action_id_even_after_a_restart(world: Any) -> None:
    general = world.channels["general"]
    result = await world.people["Ben"].slash(general, "probe buttons")
    message = result.response
    pressed = await world.people["Amy"].click(message, label="Yes")
    assert pressed.ephemeral and world.text_of(pressed.response) == "you pressed probe:yes:42"
    action_id, ref = world.cog(ProbeCog).pressed_with
    assert action_id == "probe:yes:42" and ref.id == str(message.id)
    assert ref.channel.id == str(general.id)
    # A new process: a fresh client that has never seen the message or its buttons.
    fresh = DiscordAdapter(DiscordOptions(token=SecretStr("simcord")))
    fresh.attach(world.app)
    world.app.services.platforms.add(fresh)
    await world.env.restart_bot(fresh.client)
    pressed = await world.people["Amy"].click(message, label="No")
    assert world.text_of(pressed.response) == "you pressed probe:no:42"


async def test_forms_open_as_modals_and_submissions_arrive(world: Any) -> None:
    ben = world.people["Ben"]
    shown = await ben.slash(world.channels["general"], "probe form")
    assert shown.modal is not None and shown.modal["custom_id"] == "probeform:1"
    submitted = await ben.submit_modal(shown, {"what": "spam in #general"})
    assert world.text_of(submitted.response) == "thanks, spam in \\#general"
    assert world.cog(ProbeCog).form == ("probeform:1", {"what": "spam in #general", "when": ""})


async def test_report_message_delivers_the_target_with_its_author(world: Any) -> None:
    general = world.channels["general"]
    bad = await world.people["Ben"].send(general, "buy cheap followers")
    result = await world.people["Amy"].context_menu(general, "Report message", bad)
    assert result.ephemeral and "reported: buy cheap followers" in world.text_of(result.response)
    target = world.cog(ProbeCog).reported
    assert target.ref.id == str(bad.id)
    assert target.author.id == str(world.people["Ben"].id)
    assert target.author.created_at is not None


def speaking_german(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Interactions arrive as from a Discord client set to German."""
    backend = world.env.backend
    original = backend.emit

    def emit(event: str, payload: Any) -> None:
        if event == "INTERACTION_CREATE":
            payload = {**payload, "locale": "de"}
        original(event, payload)

    monkeypatch.setattr(backend, "emit", emit)


async def test_members_are_answered_in_their_discord_language(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    speaking_german(world, monkeypatch)
    result = await world.people["Ben"].slash(world.channels["general"], "help")
    text = world.text_of(result.response)
    assert "Befehle, die du hier nutzen kannst" in text
    assert "Sag es laut zurück." in text, "German command descriptions where declared"
    result = await world.people["Ben"].slash(world.channels["general"], "probe silent")
    assert world.text_of(result.response) == "Erledigt."
