"""Emoji between neutral text and Slack's names.

Cogs speak Unicode ("✅"), as Discord does; Slack names reactions ("white_check_mark") and
appends skin tones ("+1::skin-tone-3"). The table covers the emoji a community bot reacts
with or is reacted to with in practice; an emoji outside it passes through as its Slack
name in colons (``:partyparrot:``), so custom workspace emoji still reach the cogs and can
be configured by that name.
"""

from __future__ import annotations

VARIATION_SELECTOR = "\ufe0f"

_BY_NAME: dict[str, str] = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔",
    "ballot_box_with_check": "☑",
    "x": "❌",
    "negative_squared_cross_mark": "❎",
    "heavy_multiplication_x": "✖",
    "warning": "⚠",
    "no_entry": "⛔",
    "no_entry_sign": "🚫",
    "wastebasket": "🗑",
    "boot": "👢",
    "hammer": "🔨",
    "stopwatch": "⏱",
    "timer_clock": "⏲",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "mute": "🔇",
    "speak_no_evil": "🙊",
    "zipper_mouth_face": "🤐",
    "+1": "👍",
    "-1": "👎",
    "thumbsup": "👍",
    "thumbsdown": "👎",
    "eyes": "👀",
    "wave": "👋",
    "raised_hands": "🙌",
    "clap": "👏",
    "pray": "🙏",
    "tada": "🎉",
    "heart": "❤",
    "star": "⭐",
    "fire": "🔥",
    "rocket": "🚀",
    "bulb": "💡",
    "memo": "📝",
    "pushpin": "📌",
    "bell": "🔔",
    "mega": "📣",
    "loudspeaker": "📢",
    "link": "🔗",
    "lock": "🔒",
    "unlock": "🔓",
    "key": "🔑",
    "mag": "🔍",
    "question": "❓",
    "grey_question": "❔",
    "exclamation": "❗",
    "heavy_plus_sign": "➕",
    "heavy_minus_sign": "➖",
    "arrow_up": "⬆",
    "arrow_down": "⬇",
    "arrow_right": "➡",
    "leftwards_arrow_with_hook": "↩",
    "black_square_for_stop": "⏹",
    "repeat": "🔁",
    "recycle": "♻",
    "shield": "🛡",
    "police_car": "🚓",
    "rotating_light": "🚨",
    "triangular_flag_on_post": "🚩",
    "information_source": "ℹ",
    "speech_balloon": "💬",
    "envelope": "✉",
    "inbox_tray": "📥",
    "outbox_tray": "📤",
    "ticket": "🎫",
    "clipboard": "📋",
    "calendar": "📆",
    "date": "📅",
    "thinking_face": "🤔",
    "slightly_smiling_face": "🙂",
    "smile": "😄",
    "joy": "😂",
    "cry": "😢",
    "angry": "😠",
    "skull": "💀",
    "zzz": "💤",
    "sparkles": "✨",
    "100": "💯",
    "one": "1⃣",
    "two": "2⃣",
    "three": "3⃣",
}

# Emoji whose fully-qualified form (what people type and paste, and so what cogs compare
# with) carries the variation selector; the table above lists them without it.
_NEEDS_SELECTOR = frozenset("✔☑✖⚠🗑⏱⏲❤⬆⬇➡↩⏹♻🛡ℹ✉")
# Where Slack has two names for one emoji, answer with the one its picker shows.
_PREFERRED = {"👍": "+1", "👎": "-1"}
_BY_EMOJI: dict[str, str] = {}
for _name, _emoji in _BY_NAME.items():
    _BY_EMOJI.setdefault(_emoji, _name)
_BY_EMOJI.update(_PREFERRED)


def from_slack(name: str) -> str:
    """A reaction name as delivered by Slack → the emoji cogs compare with."""
    base = name.split("::", 1)[0]
    emoji = _BY_NAME.get(base)
    if emoji is None:
        return f":{base}:"
    if emoji in _NEEDS_SELECTOR:
        return emoji + VARIATION_SELECTOR
    if emoji.endswith("\u20e3"):
        return emoji[0] + VARIATION_SELECTOR + emoji[1:]
    return emoji


def to_slack(emoji: str) -> str:
    """An emoji (or ``:name:``) a cog reacts with → the name Slack's API wants."""
    stripped = emoji.strip()
    if len(stripped) > 2 and stripped.startswith(":") and stripped.endswith(":"):
        return stripped[1:-1]
    return _BY_EMOJI.get(stripped.replace(VARIATION_SELECTOR, ""), stripped)


def same(a: str, b: str) -> bool:
    """Whether two emoji are the same once variation selectors are ignored."""
    return a.replace(VARIATION_SELECTOR, "") == b.replace(VARIATION_SELECTOR, "")
