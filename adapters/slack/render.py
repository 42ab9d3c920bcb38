"""Neutral messages and forms rendered for Slack: mrkdwn text, Block Kit and modals.

User text (`Plain`) is escaped with `bot.text.escape_slack`, so it can never form a
``<!channel>``, a ``<@U…>`` ping or a link. Bot-written `Markup` is Discord-flavoured
markdown (``**bold**``, ``*italic*``, ``~~strike~~``, ``[label](url)``) and is translated
to mrkdwn (``*bold*``, ``_italic_``, ``~strike~``, ``<url|label>``); code spans pass
through untouched. Mentions ping only where the caller allows pings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.outgoing import (
    Button,
    ButtonStyle,
    ChannelMention,
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
from bot.text import escape_slack, excerpt

# Block Kit limits (api.slack.com/reference/block-kit): a section's text holds 3000
# characters, a modal title and its buttons 24, an input label 2000, a button label 75
# and its action id 255. Longer values are refused by Slack, so they are cut here.
SECTION_LIMIT = 3000
MODAL_TITLE_LIMIT = 24
LABEL_LIMIT = 2000
BUTTON_LABEL_LIMIT = 75
ACTION_ID_LIMIT = 255
# A message may carry at most 50 blocks; one actions block holds at most 25 elements.
BLOCK_LIMIT = 50
ACTIONS_PER_BLOCK = 25
# chat.postMessage truncates text beyond 40,000 characters; stay below with a visible cut.
TEXT_LIMIT = 39_000

_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)
# A link label stops at an opening bracket too, so a line of unclosed "[" (an admin's
# template, say) is scanned once rather than once per bracket.
_EMPHASIS = re.compile(
    r"\*\*(?P<bold>.+?)\*\*|__(?P<under>.+?)__|\*(?P<italic>[^*\n]+?)\*|~~(?P<strike>.+?)~~"
    r"|\[(?P<label>[^\[\]\n]+)\]\((?P<url>https?://[^)\s]+)\)",
    re.DOTALL,
)
# Bot posts never unfurl: a flag quoting a spam link must not preview it to moderators.
QUIET = {"unfurl_links": False, "unfurl_media": False}

_SUBTEAM = re.compile(r"^S[A-Z0-9]{2,}$")
# Private-use characters hold non-markup segments while markup is translated around them.
_HOLD_OPEN, _HOLD_CLOSE = "\ue000", "\ue001"
_HELD = re.compile("\ue000(\\d+)\ue001")
_BACKTICKS = re.compile("`+")
# Looks like a backtick, closes nothing: member text inside the bot's code spans.
_SAFE_BACKTICK = "\u02cb"

NameOf = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """Keyword arguments for chat.postMessage / chat.update / response_url posts."""

    text: str
    blocks: list[dict[str, Any]] | None

    def as_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"text": self.text}
        if self.blocks is not None:
            kwargs["blocks"] = self.blocks
        return kwargs


def markup_to_mrkdwn(text: str) -> str:
    """Translate bot-written Discord-flavoured markdown to Slack mrkdwn."""
    out: list[str] = []
    for index, part in enumerate(_CODE.split(text)):
        if index % 2:
            out.append(part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        else:
            out.append(_EMPHASIS.sub(_translate, escape_slack_controls(part)))
    return "".join(out)


def escape_slack_controls(text: str) -> str:
    """Escape only ``&``, ``<`` and ``>``, Slack's control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _translate(match: re.Match[str]) -> str:
    if match["bold"] is not None:
        return f"*{match['bold']}*"
    if match["under"] is not None:
        return f"_{match['under']}_"
    if match["italic"] is not None:
        return f"_{match['italic']}_"
    if match["strike"] is not None:
        return f"~{match['strike']}~"
    return f"<{match['url']}|{match['label']}>"


def render_rich(text: Rich, *, allow_pings: bool = True, name_of: NameOf | None = None) -> str:
    """One rich text as mrkdwn; without `allow_pings`, mentions read as names instead.

    Markup is translated as one piece, with every other segment held by a placeholder:
    catalog texts wrap placeholders in emphasis (``**Ticket #{number}**``), so a ``**``
    pair often spans several segments, while user text must never take part in it.
    """
    markup: list[str] = []
    held: list[str] = []
    in_code = False
    for segment in text:
        if isinstance(segment, Markup):
            markup.append(segment.text)
            in_code = _in_code(segment.text, in_code)
            continue
        if in_code and isinstance(segment, Plain):
            # A backtick of the member's would close the bot's code span early.
            segment = Plain(segment.text.replace("`", _SAFE_BACKTICK))
        held.append(_segment(segment, allow_pings, name_of))
        markup.append(f"{_HOLD_OPEN}{len(held) - 1}{_HOLD_CLOSE}")
    translated = markup_to_mrkdwn("".join(markup))
    return _HELD.sub(lambda m: held[int(m.group(1))], translated)


def _in_code(markup: str, in_code: bool) -> bool:
    """Whether bot markup leaves a code span open: each run of backticks toggles one."""
    return in_code != (len(_BACKTICKS.findall(markup)) % 2 == 1)


def _segment(segment: Segment, allow_pings: bool, name_of: NameOf | None) -> str:
    match segment:
        case Plain(value):
            return escape_slack(value)
        case Mention(user_id, fallback):
            if allow_pings:
                return f"<@{user_id}>"
            shown = (name_of(user_id) if name_of else None) or fallback or user_id
            return escape_slack(f"@{shown}")
        case RoleMention(role_id, fallback):
            if allow_pings and _SUBTEAM.match(role_id):
                return f"<!subteam^{role_id}>"
            return escape_slack(f"@{fallback or role_id}")
        case ChannelMention(channel_id, fallback):
            base = channel_id.split("/", 1)[0]
            return f"<#{base}>" if base else escape_slack(f"#{fallback}")
        case Link(url, label):
            return _link(url, label)
    raise AssertionError(segment)


def _link(url: str, label: str) -> str:
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    if not label:
        return f"<{safe_url}>"
    shown = escape_slack(label).replace("|", "¦")
    return f"<{safe_url}|{shown}>"


def render_message(
    message: OutgoingMessage, *, allow_pings: bool = True, name_of: NameOf | None = None
) -> SlackMessage:
    """A whole message: plain mrkdwn text when that says it all, Block Kit otherwise.

    The top-level `text` is always set: Slack shows it in notifications and to screen
    readers, and it is what `fetch_message` reads back.
    """
    body = render_rich(message.text, allow_pings=allow_pings, name_of=name_of)
    title = render_rich(message.title, allow_pings=allow_pings, name_of=name_of)
    fields = [
        (
            render_rich(f.name, allow_pings=allow_pings, name_of=name_of),
            render_rich(f.value, allow_pings=allow_pings, name_of=name_of),
            f.inline,
        )
        for f in message.fields
    ]
    fallback = _fallback(title, body, fields)
    if not message.title and not message.fields and not message.buttons:
        return SlackMessage(_cut(body, TEXT_LIMIT), None)
    blocks: list[dict[str, Any]] = []
    if title:
        blocks.append(_section(_bold(title)))
    for chunk in split_text(body, SECTION_LIMIT):
        blocks.append(_section(chunk))
    blocks.extend(_field_blocks(fields))
    blocks = blocks[: BLOCK_LIMIT - 1]
    if message.buttons:
        blocks.append(actions_block(message.buttons))
    return SlackMessage(_cut(fallback, TEXT_LIMIT), blocks)


def actions_block(buttons: tuple[Button, ...]) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [_button(b) for b in buttons[:ACTIONS_PER_BLOCK]],
    }


def _button(button: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": button.action_id[:ACTION_ID_LIMIT],
        "value": button.action_id[:ACTION_ID_LIMIT],
        "text": {
            "type": "plain_text",
            "text": excerpt(button.label, BUTTON_LABEL_LIMIT) or "…",
            "emoji": True,
        },
    }
    if button.style is ButtonStyle.PRIMARY or button.style is ButtonStyle.SUCCESS:
        element["style"] = "primary"
    elif button.style is ButtonStyle.DANGER:
        element["style"] = "danger"
    return element


def _field_blocks(fields: list[tuple[str, str, bool]]) -> list[dict[str, Any]]:
    """Inline fields side by side (a section holds ten), others one per section."""
    blocks: list[dict[str, Any]] = []
    inline: list[dict[str, Any]] = []
    for name, value, is_inline in fields:
        text = _cut(f"*{name}*\n{value}", 2000)
        if is_inline:
            inline.append({"type": "mrkdwn", "text": text})
            if len(inline) == 10:
                blocks.append({"type": "section", "fields": inline})
                inline = []
            continue
        if inline:
            blocks.append({"type": "section", "fields": inline})
            inline = []
        blocks.append(_section(text))
    if inline:
        blocks.append({"type": "section", "fields": inline})
    return blocks


def _bold(title: str) -> str:
    """A title in bold, unless its own markup already formats it (no nested asterisks)."""
    return title if "*" in title else f"*{title}*"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}


def _fallback(title: str, body: str, fields: list[tuple[str, str, bool]]) -> str:
    lines = [_bold(title)] if title else []
    if body:
        lines.append(body)
    lines.extend(f"{name}: {value}" for name, value, _ in fields)
    return "\n".join(lines) or " "


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_modal(
    form: Form, *, submit: str, cancel: str, private_metadata: dict[str, str]
) -> dict[str, Any]:
    """A form as a modal view; block and action ids are the neutral field ids."""
    blocks = []
    for field in form.fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": field.field_id,
            "multiline": field.long,
            "max_length": field.max_length,
        }
        if field.default:
            element["initial_value"] = field.default
        blocks.append(
            {
                "type": "input",
                "block_id": field.field_id,
                "optional": not field.required,
                "label": {"type": "plain_text", "text": excerpt(field.label, LABEL_LIMIT)},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": form.form_id,
        "title": {"type": "plain_text", "text": excerpt(form.title, MODAL_TITLE_LIMIT)},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": cancel},
        "private_metadata": json.dumps(private_metadata),
        "blocks": blocks,
    }
