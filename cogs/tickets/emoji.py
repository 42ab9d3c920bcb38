"""The reactions the tickets feature acts on, as every platform spells them.

Unicode on Discord and in the terminal; Slack reports emoji by name, skin tones appended.
"""

from __future__ import annotations

VOTE_EMOJI = frozenset({"👍", "+1", "thumbsup", ":+1:", ":thumbsup:"})
RESOLVE_EMOJI = frozenset({"✅", "white_check_mark", ":white_check_mark:"})


def is_vote(emoji: str) -> bool:
    return emoji in VOTE_EMOJI or emoji.startswith(("👍", "+1::skin-tone", "thumbsup::skin-tone"))


def is_resolve(emoji: str) -> bool:
    return emoji in RESOLVE_EMOJI
