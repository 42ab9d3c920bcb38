"""Neutral messages as Discord messages: markdown, an embed card, buttons and who may be pinged.

User text (`Plain`) is escaped with `bot.text.escape_discord`, so it can never format, link
or mention. Only explicit `Mention` and `RoleMention` segments may ping, and only the ids
they name are listed in ``allowed_mentions``; ``@everyone``/``@here`` never ping. A message
with a title or fields becomes an embed (title, text as description, fields); since
mentions inside embeds never notify anyone, the pinged mentions are repeated in the
message content so that the people the bot means to reach still hear about it.

Nothing is cut to fit: a message is rendered as one or more parts (`bot.splitting`), sent
in order. Long text becomes several messages of at most 2,000 characters with code blocks
closed and reopened; a long embed continues in further embeds, each within Discord's
limits for its description (4,096), a field (256 name, 1,024 value, 25 fields) and the
6,000 characters all its text may hold together. Buttons go on the last part.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import discord

from adapters.discord.buttons import button_view
from bot.outgoing import (
    ChannelMention,
    Field,
    Form,
    Link,
    Markup,
    Mention,
    OutgoingMessage,
    Plain,
    Rich,
    RoleMention,
    Segment,
)
from bot.splitting import split_text
from bot.text import defuse_mass_mentions, escape_discord

# Discord's size limits (docs: Message Resource, Embed Limits). Text is split to fit them;
# only names (an embed title, a field name, a modal label) are cut, marked with "…".
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
MAX_FIELDS = 25
# Title, description, field names and values, footer and author of one message's embeds
# together; this renderer sends one embed per message and sets no footer or author.
EMBED_TOTAL_LIMIT = 6000
# Modals: a title and labels of at most 45 characters, at most five text inputs, each
# holding at most 4000 characters.
MODAL_TITLE_LIMIT = 45
MODAL_LABEL_LIMIT = 45
MODAL_MAX_FIELDS = 5
MODAL_VALUE_LIMIT = 4000
# Marks an edited message that could not hold all of its new text.
MORE = "…"
# Embed field names and values may not be empty; a zero-width space stands in.
_EMPTY = "\u200b"
# A modified-letter grave accent looks like a backtick but cannot end a code span.
_SAFE_BACKTICK = "\u02cb"
_BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True, slots=True)
class RenderedText:
    """Discord markdown plus the users and roles its mention segments name."""

    text: str
    users: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class DiscordMessage:
    """Everything discord.py needs to send or edit one message."""

    content: str | None
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    allowed_mentions: discord.AllowedMentions = field(default_factory=discord.AllowedMentions.none)

    def send_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"allowed_mentions": self.allowed_mentions}
        if self.content:
            kwargs["content"] = self.content
        if self.embeds:
            kwargs["embeds"] = self.embeds
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """Replace everything: missing parts are cleared, not left over from before."""
        return {
            "content": self.content or None,
            "embeds": self.embeds,
            "view": self.view,
            "allowed_mentions": self.allowed_mentions,
        }


def render_message(message: OutgoingMessage, *, allow_pings: bool = True) -> list[DiscordMessage]:
    """Render a neutral message as the Discord messages that carry it, in order (one when
    it fits); with `allow_pings` False nobody is notified at all."""
    if not message.title and not message.fields:
        body = render_rich(message.text)
        allowed = _allowed(body.users, body.roles, allow_pings)
        texts = [t for t in split_text(body.text, CONTENT_LIMIT) if t.strip()] or [""]
        parts = [DiscordMessage(content=t or None, allowed_mentions=allowed) for t in texts]
    else:
        embeds, users, roles = _embeds(message)
        pings = [f"<@{user}>" for user in users] + [f"<@&{role}>" for role in roles]
        allowed = _allowed(users, roles, allow_pings)
        ping_line = fit(" ".join(pings), CONTENT_LIMIT) if allow_pings and pings else None
        parts = [
            DiscordMessage(
                content=ping_line if index == 0 else None,
                embeds=[embed],
                allowed_mentions=allowed,
            )
            for index, embed in enumerate(embeds)
        ]
    parts[-1] = replace(parts[-1], view=button_view(message.buttons))
    return parts


def with_role_ids(
    message: OutgoingMessage, role_id: Callable[[str], str | None]
) -> OutgoingMessage:
    """The message with each role named by its name (``[community.languages] roles``, the
    ambassadors' role) pinging that role by id, as Discord needs; a name the server does
    not know is shown as ``@name`` and pings nobody."""

    def resolved(text: Rich) -> Rich:
        return tuple(_role_by_id(segment, role_id) for segment in text)

    return replace(
        message,
        text=resolved(message.text),
        title=resolved(message.title),
        fields=tuple(
            replace(f, name=resolved(f.name), value=resolved(f.value)) for f in message.fields
        ),
    )


def _role_by_id(segment: Segment, role_id: Callable[[str], str | None]) -> Segment:
    if not isinstance(segment, RoleMention) or segment.role_id.isdigit():
        return segment
    found = role_id(segment.role_id)
    if found is None:
        return Plain(f"@{segment.fallback_name or segment.role_id}")
    return RoleMention(found, segment.fallback_name or segment.role_id)


def render_edit(message: OutgoingMessage) -> DiscordMessage:
    """An edit replaces one message in place, so it is the first part with the buttons; a
    card too long for one message (cards are kept short by the cogs) ends in "…"."""
    parts = render_message(message, allow_pings=False)
    first = replace(parts[0], view=parts[-1].view)
    if len(parts) == 1:
        return first
    if first.embeds:
        return replace(first, content=MORE)
    text = split_text(first.content or "", CONTENT_LIMIT - len(MORE) - 1)[0]
    return replace(first, content=f"{text}\n{MORE}")


def render_rich(text: Rich, *, mentions: bool = True) -> RenderedText:
    """Render segments; with `mentions` False (embed titles) mentions become ``@name``.

    Bot-written markup may open an inline code span (```` `{usage}` ````); user text inside
    it is shown literally, so it is not backslash-escaped there, only kept from closing
    the span early.
    """
    out: list[str] = []
    users: list[str] = []
    roles: list[str] = []
    code_fence = ""
    for segment in text:
        match segment:
            case Plain(value):
                out.append(_code_safe(value) if code_fence else escape_discord(value))
            case Markup(value):
                out.append(value)
                code_fence = _track_code(value, code_fence)
            case Mention(user_id, fallback):
                out.append(f"<@{user_id}>" if mentions else f"@{_name(fallback, user_id)}")
                users.append(user_id)
            case RoleMention(role_id, fallback):
                out.append(f"<@&{role_id}>" if mentions else f"@{_name(fallback, role_id)}")
                roles.append(role_id)
            case ChannelMention(channel_id, fallback):
                out.append(f"<#{channel_id}>" if mentions else f"#{_name(fallback, channel_id)}")
            case Link(url, label):
                out.append(_link(url, label))
    return RenderedText("".join(out), tuple(dict.fromkeys(users)), tuple(dict.fromkeys(roles)))


def render_modal(form: Form) -> discord.ui.Modal:
    """A modal for a neutral form; its submission is routed by ``custom_id`` = form id.

    The modal is stopped before it is shown so discord.py keeps no copy waiting for the
    answer: submissions are routed like every other interaction, which also works after a
    restart.
    """
    if len(form.fields) > MODAL_MAX_FIELDS:
        raise ValueError(f"form {form.form_id} has more than {MODAL_MAX_FIELDS} fields")
    modal = discord.ui.Modal(
        title=fit(form.title, MODAL_TITLE_LIMIT), custom_id=form.form_id, timeout=None
    )
    for form_field in form.fields:
        modal.add_item(
            discord.ui.TextInput(
                label=fit(form_field.label, MODAL_LABEL_LIMIT),
                custom_id=form_field.field_id,
                style=discord.TextStyle.paragraph if form_field.long else discord.TextStyle.short,
                required=form_field.required,
                max_length=min(form_field.max_length, MODAL_VALUE_LIMIT),
                default=form_field.default or None,
            )
        )
    modal.stop()
    return modal


def fit(text: str, limit: int) -> str:
    """Cut a name (a title, a label) to Discord's limit, marking the cut; text is split."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _embeds(message: OutgoingMessage) -> tuple[list[discord.Embed], list[str], list[str]]:
    """The title and description, then the fields, continued in further embeds whenever
    one is full; a long field value continues in fields without a name."""
    title = render_rich(message.title, mentions=False)
    body = render_rich(message.text)
    descriptions = split_text(body.text, EMBED_DESCRIPTION_LIMIT) or [None]
    embeds = [discord.Embed(title=fit(title.text, EMBED_TITLE_LIMIT) or None)]
    embeds[0].description = descriptions[0]
    embeds.extend(discord.Embed(description=more) for more in descriptions[1:])
    users, roles = list(body.users), list(body.roles)
    for item in message.fields:
        value = _add_field(embeds, item)
        users.extend(u for u in value.users if u not in users)
        roles.extend(r for r in value.roles if r not in roles)
    return embeds, users, roles


def _add_field(embeds: list[discord.Embed], item: Field) -> RenderedText:
    name = fit(render_rich(item.name, mentions=False).text, FIELD_NAME_LIMIT) or _EMPTY
    value = render_rich(item.value)
    for index, piece in enumerate(split_text(value.text, FIELD_VALUE_LIMIT) or [_EMPTY]):
        shown = name if index == 0 else _EMPTY
        embed = embeds[-1]
        full = len(embed.fields) >= MAX_FIELDS
        if full or len(embed) + len(shown) + len(piece) > EMBED_TOTAL_LIMIT:
            embed = discord.Embed()
            embeds.append(embed)
        embed.add_field(name=shown, value=piece, inline=item.inline)
    return value


def _allowed(
    users: tuple[str, ...] | list[str], roles: tuple[str, ...] | list[str], allow_pings: bool
) -> discord.AllowedMentions:
    if not allow_pings:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False,
        users=[discord.Object(int(user)) for user in users],
        roles=[discord.Object(int(role)) for role in roles],
        replied_user=False,
    )


def _track_code(markup: str, fence: str) -> str:
    """Follow inline code spans: a run of backticks opens one, the same run closes it."""
    for run in _BACKTICKS.findall(markup):
        if not fence:
            fence = run
        elif run == fence:
            fence = ""
    return fence


def _code_safe(text: str) -> str:
    return defuse_mass_mentions(text.replace("`", _SAFE_BACKTICK))


def _link(url: str, label: str) -> str:
    safe_url = url.replace(")", "%29").replace(" ", "%20")
    if not label:
        return f"<{safe_url}>"
    return f"[{escape_discord(label)}]({safe_url})"


def _name(fallback: str, identifier: str) -> str:
    return defuse_mass_mentions(fallback) if fallback else identifier
