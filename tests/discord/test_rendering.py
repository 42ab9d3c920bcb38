"""Neutral messages and declarations as Discord sees them (no connection needed)."""

from __future__ import annotations

import pytest

from adapters.discord.commands import CommandShapeError, application_commands
from adapters.discord.permissions import INVITE_PERMISSIONS, NEEDED, invite_url
from adapters.discord.render import render_message, render_modal, render_rich
from bot.commands import CommandSpec, MessageCommandSpec, Option, OptionType, Permission
from bot.outgoing import (
    ChannelMention,
    Form,
    FormField,
    Link,
    Markup,
    Mention,
    OutgoingMessage,
    RoleMention,
    rich,
)
from bot.text import ZERO_WIDTH_SPACE


def test_user_text_is_escaped_and_cannot_mention_anyone() -> None:
    rendered = render_rich(rich("**bold** <@123> <@&456> @everyone @here"))
    assert "\\*\\*bold\\*\\*" in rendered.text
    assert "<@123>" not in rendered.text and "<@&456>" not in rendered.text
    assert f"@{ZERO_WIDTH_SPACE}everyone" in rendered.text
    assert rendered.users == () and rendered.roles == ()


def test_explicit_mentions_render_as_discord_mentions_and_are_collected() -> None:
    rendered = render_rich(
        (Mention("1"), Markup(" "), RoleMention("2"), Markup(" "), ChannelMention("3"))
    )
    assert rendered.text == "<@1> <@&2> <#3>"
    assert (rendered.users, rendered.roles) == (("1",), ("2",))


def test_user_text_inside_bot_code_spans_is_literal_but_cannot_break_out() -> None:
    rendered = render_rich(rich(Markup("`"), "/ticket open <title> `x`", Markup("` — "), "*ok*"))
    assert rendered.text.startswith("`/ticket open <title> ˋxˋ` — ")
    assert rendered.text.endswith("\\*ok\\*"), "escaping resumes after the code span"


def test_links_are_masked_with_escaped_labels_and_bare_urls_do_not_unfurl() -> None:
    assert render_rich((Link("https://x.test/a b", "see *this*"),)).text == (
        "[see \\*this\\*](https://x.test/a%20b)"
    )
    assert render_rich((Link("https://x.test"),)).text == "<https://x.test>"


def test_plain_messages_are_content_and_long_text_is_split_not_cut() -> None:
    first, second = render_message(OutgoingMessage.of("x" * 2500))
    assert first.content is not None and second.content is not None
    assert first.content + second.content == "x" * 2500 and len(first.content) <= 2000
    assert first.embeds == [] == second.embeds


async def test_forms_become_modals_that_discord_py_does_not_keep() -> None:
    modal = render_modal(
        Form(
            "report:9",
            "Report this message to the moderators of the server",
            (FormField("why", "What is wrong", long=True, max_length=9000),),
        )
    )
    payload = modal.to_dict()
    assert payload["custom_id"] == "report:9" and len(payload["title"]) == 45
    (text_input,) = [c for row in payload["components"] for c in row["components"]]
    assert (text_input["custom_id"], text_input["style"], text_input["max_length"]) == (
        "why",
        2,
        4000,
    )
    assert modal.is_finished(), "submissions are routed, not awaited on this object"


def spec(path: str, *options: Option, permission: Permission = Permission.MEMBER) -> CommandSpec:
    return CommandSpec(path, f"Does {path}.", options, permission)


def test_sub_commands_share_one_group_shown_to_its_least_privileged_level() -> None:
    (ticket,) = application_commands(
        [
            spec("ticket open", Option("title", "Title", required=False), Option("body", "B")),
            spec("ticket claim", permission=Permission.AMBASSADOR),
        ],
        [],
    )
    assert ticket["name"] == "ticket" and ticket["default_member_permissions"] is None
    assert [o["name"] for o in ticket["options"]] == ["claim", "open"]
    open_options = ticket["options"][1]["options"]
    assert [o["name"] for o in open_options] == ["body", "title"], "required options first"
    assert ticket["contexts"] == [0], "commands work in servers only"


def test_moderator_and_admin_commands_are_hidden_by_default_permissions() -> None:
    mod, admin = application_commands(
        [
            spec("flags", permission=Permission.MODERATOR),
            spec("setup", permission=Permission.ADMIN),
        ],
        [],
    )
    assert mod["default_member_permissions"] == str(1 << 13)  # Manage Messages
    assert admin["default_member_permissions"] == str(1 << 5)  # Manage Server


def test_option_types_map_to_discord_types() -> None:
    options = (
        Option("n", "N", OptionType.INTEGER, min_value=1, max_value=5),
        Option("c", "C", OptionType.CHOICE, choices=("a", "b")),
        Option("d", "D", OptionType.DURATION),
        Option("u", "U", OptionType.USER),
        Option("ch", "Ch", OptionType.CHANNEL),
        Option("l", "L", OptionType.MESSAGE_LINK),
        Option("y", "Y", OptionType.BOOLEAN),
    )
    (command,) = application_commands([spec("probe", *options)], [])
    by_name = {o["name"]: o for o in command["options"]}
    assert {name: o["type"] for name, o in by_name.items()} == {
        "n": 4,
        "c": 3,
        "d": 3,
        "u": 6,
        "ch": 7,
        "l": 3,
        "y": 5,
    }
    assert (by_name["n"]["min_value"], by_name["n"]["max_value"]) == (1, 5)
    assert by_name["c"]["choices"] == [{"name": "a", "value": "a"}, {"name": "b", "value": "b"}]
    assert 11 in by_name["ch"]["channel_types"], "threads are channels too"


def test_german_descriptions_are_localised_and_message_actions_registered() -> None:
    command, action = application_commands(
        [CommandSpec("report", "Report a message.", description_de="Eine Nachricht melden.")],
        [MessageCommandSpec("Report message", Permission.MEMBER, name_de="Nachricht melden")],
    )
    assert command["description_localizations"] == {"de": "Eine Nachricht melden."}
    assert (action["type"], action["name"]) == (3, "Report message")
    assert action["name_localizations"] == {"de": "Nachricht melden"}


@pytest.mark.parametrize(
    ("paths", "problem"),
    [
        (["Ticket"], "not a valid Discord command name"),
        (["a b c d"], "one to three words"),
        (["config", "config show"], "also has sub-commands"),
    ],
)
def test_declarations_discord_cannot_show_fail_loudly(paths: list[str], problem: str) -> None:
    with pytest.raises(CommandShapeError, match=problem):
        application_commands([spec(path) for path in paths], [])


def test_oversized_groups_are_refused_before_discord_would() -> None:
    long = "x" * 100
    many = [CommandSpec(f"big s{i}", long, (Option("o", long),)) for i in range(25)]
    with pytest.raises(CommandShapeError, match="4000 characters"):
        application_commands(many, [])


def test_every_shipped_command_fits_discord() -> None:
    from adapters.discord.actions import DiscordActions
    from adapters.discord.sync import offered
    from bot.cog import declared_commands
    from cogs import all_cogs

    payload = offered(*declared_commands(all_cogs()), DiscordActions.capabilities)
    names = {command["name"] for command in payload}
    assert {"help", "about", "config", "report", "Report message"} <= names


def test_the_invite_asks_for_exactly_the_needed_permissions() -> None:
    url = invite_url(123, guild_id=456)
    assert "client_id=123" in url and "scope=bot+applications.commands" in url
    assert f"permissions={INVITE_PERMISSIONS.value}" in url and "guild_id=456" in url
    assert not INVITE_PERMISSIONS.administrator and not INVITE_PERMISSIONS.mention_everyone
    granted = {name for name, value in INVITE_PERMISSIONS if value}
    assert len(NEEDED) == len({n.flag for n in NEEDED})
    assert {"kick_members", "ban_members", "moderate_members", "manage_threads"} <= granted
