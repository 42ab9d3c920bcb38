"""Emoji in Discord's own spelling, so `add_reaction` is not refused as "Unknown Emoji".

Discord accepts a Unicode emoji only in its fully-qualified form: a symbol that is text by
default (✔ ⚠ ❤ 🗑 ☝ …) carries the emoji presentation selector U+FE0F, one that is an
emoji by default (👍 ✅ 🙂 …) does not, and a keycap is digit + FE0F + U+20E3. Keyboards and
configuration files differ on exactly this, so the selector is dropped and put back where
Discord wants it. A skin tone after a symbol makes it an emoji already (☝🏽, no FE0F).
Custom emoji (``<:name:id>``, ``name:id``) pass unchanged, and the few names the shipped
cogs and Slack use (``:thumbsup:``, ``+1::skin-tone-3``) become their Unicode emoji.
"""

from __future__ import annotations

import re

_PRESENTATION = "\ufe0f"
_TEXT_PRESENTATION = "\ufe0e"
_KEYCAP = "\u20e3"
_SKIN_TONES = range(0x1F3FB, 0x1F400)

# Code points that are emoji but shown as text by default (Unicode's emoji-data.txt:
# Emoji=Yes, Emoji_Presentation=No), except the keycap bases 0-9, # and *.
_TEXT_DEFAULT_RANGES = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA),
    (0x2328, 0x2328), (0x23CF, 0x23CF), (0x23ED, 0x23EF), (0x23F1, 0x23F2),
    (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB), (0x25B6, 0x25B6),
    (0x25C0, 0x25C0), (0x25FB, 0x25FC), (0x2600, 0x2604), (0x260E, 0x260E),
    (0x2611, 0x2611), (0x2618, 0x2618), (0x261D, 0x261D), (0x2620, 0x2620),
    (0x2622, 0x2623), (0x2626, 0x2626), (0x262A, 0x262A), (0x262E, 0x262F),
    (0x2638, 0x263A), (0x2640, 0x2640), (0x2642, 0x2642), (0x265F, 0x2660),
    (0x2663, 0x2663), (0x2665, 0x2666), (0x2668, 0x2668), (0x267B, 0x267B),
    (0x267E, 0x267E), (0x2692, 0x2692), (0x2694, 0x2697), (0x2699, 0x2699),
    (0x269B, 0x269C), (0x26A0, 0x26A0), (0x26A7, 0x26A7), (0x26B0, 0x26B1),
    (0x26C8, 0x26C8), (0x26CF, 0x26CF), (0x26D1, 0x26D1), (0x26D3, 0x26D3),
    (0x26E9, 0x26E9), (0x26F0, 0x26F1), (0x26F4, 0x26F4), (0x26F7, 0x26F9),
    (0x2702, 0x2702), (0x2708, 0x2709), (0x270C, 0x270D), (0x270F, 0x270F),
    (0x2712, 0x2712), (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D),
    (0x2721, 0x2721), (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747),
    (0x2763, 0x2764), (0x27A1, 0x27A1), (0x2934, 0x2935), (0x2B05, 0x2B07),
    (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299),
    (0x1F170, 0x1F171), (0x1F17E, 0x1F17F), (0x1F202, 0x1F202), (0x1F237, 0x1F237),
    (0x1F321, 0x1F321), (0x1F324, 0x1F32C), (0x1F336, 0x1F336), (0x1F37D, 0x1F37D),
    (0x1F396, 0x1F397), (0x1F399, 0x1F39B), (0x1F39E, 0x1F39F), (0x1F3CB, 0x1F3CE),
    (0x1F3D4, 0x1F3DF), (0x1F3F3, 0x1F3F3), (0x1F3F5, 0x1F3F5), (0x1F3F7, 0x1F3F7),
    (0x1F43F, 0x1F43F), (0x1F441, 0x1F441), (0x1F4FD, 0x1F4FD), (0x1F549, 0x1F54A),
    (0x1F56F, 0x1F570), (0x1F573, 0x1F579), (0x1F587, 0x1F587), (0x1F58A, 0x1F58D),
    (0x1F590, 0x1F590), (0x1F5A5, 0x1F5A5), (0x1F5A8, 0x1F5A8), (0x1F5B1, 0x1F5B2),
    (0x1F5BC, 0x1F5BC), (0x1F5C2, 0x1F5C4), (0x1F5D1, 0x1F5D3), (0x1F5DC, 0x1F5DE),
    (0x1F5E1, 0x1F5E1), (0x1F5E3, 0x1F5E3), (0x1F5E8, 0x1F5E8), (0x1F5EF, 0x1F5EF),
    (0x1F5F3, 0x1F5F3), (0x1F5FA, 0x1F5FA), (0x1F6CB, 0x1F6CB), (0x1F6CD, 0x1F6CF),
    (0x1F6E0, 0x1F6E5), (0x1F6E9, 0x1F6E9), (0x1F6F0, 0x1F6F0), (0x1F6F3, 0x1F6F3),
)  # fmt: skip
_TEXT_DEFAULT = frozenset(
    chr(code) for low, high in _TEXT_DEFAULT_RANGES for code in range(low, high + 1)
)
_KEYCAP_BASES = frozenset("0123456789#*")

# Names the shipped cogs and Slack's reaction events use, as Discord's Unicode emoji.
_NAMED = {
    "+1": "👍",
    "thumbsup": "👍",
    "-1": "👎",
    "thumbsdown": "👎",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "x": "❌",
    "wastebasket": "🗑️",
    "warning": "⚠️",
    "mute": "🔇",
    "boot": "👢",
    "hammer": "🔨",
    "eyes": "👀",
    "heart": "❤️",
    "tada": "🎉",
    "wave": "👋",
}
_NAME = re.compile(r":?(?P<name>[a-z0-9_+\-]+?)(?:::skin-tone-(?P<tone>[2-6]))?:?")
# Custom emoji: <:name:id>, <a:name:id> or name:id; Discord resolves them by id.
_CUSTOM = re.compile(r"<?a?:?[A-Za-z0-9_~]+:\d+>?")


def discord_emoji(emoji: str) -> str:
    """`emoji` as Discord spells it; something Discord would not know is returned as given,
    and Discord's "Unknown Emoji" then says so."""
    emoji = emoji.strip()
    if _CUSTOM.fullmatch(emoji):
        return emoji
    named = _NAME.fullmatch(emoji)
    if named is not None and named["name"] in _NAMED:
        base = _NAMED[named["name"]]
        tone = named["tone"]
        return base if tone is None else base + chr(0x1F3FB + int(tone) - 2)
    return fully_qualified(emoji)


def fully_qualified(emoji: str) -> str:
    """Unicode's fully-qualified spelling, which is the one Discord uses."""
    bare = emoji.replace(_PRESENTATION, "").replace(_TEXT_PRESENTATION, "")
    out: list[str] = []
    for index, char in enumerate(bare):
        out.append(char)
        following = bare[index + 1 : index + 2]
        if char in _KEYCAP_BASES:
            if following == _KEYCAP:
                out.append(_PRESENTATION)
        elif char in _TEXT_DEFAULT and not (following and ord(following) in _SKIN_TONES):
            out.append(_PRESENTATION)
    return "".join(out)
