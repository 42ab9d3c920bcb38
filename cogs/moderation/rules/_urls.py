"""Web links and community invites in folded text.

Invites are matched loosely ("discord . gg / x", "discord[.]gg/x", "discord dot gg/x")
because people who post them against the rules write them that way on purpose. Web links
are the ones a platform turns into something clickable: with a scheme or "www.".
"""

from __future__ import annotations

import re
from typing import NamedTuple

_DOT = r"\s*(?:\.|\[\.\]|\(\.\)|\{\.\}|\bdot\b)\s*"
_SLASH = r"\s*/\s*"
# Each alternative starts with a literal, so the regex engine skips ahead cheaply.
_INVITE = re.compile(
    rf"(?:discord(?:app)?{_DOT}com{_SLASH}invite|discord{_DOT}(?:gg|me|io|li)"
    rf"|dsc{_DOT}gg|invite{_DOT}gg){_SLASH}(?P<discord>[a-z0-9-]{{2,}})"
    rf"|join{_DOT}slack{_DOT}com{_SLASH}t{_SLASH}(?P<slack>[a-z0-9-]+)(?:/[^\s<>]*)?"
    rf"|https?://(?P<workspace>[a-z0-9-]+)\.slack\.com/join(?:/[^\s<>]*)?"
)
_SCHEMES = ("https://www.", "http://www.", "https://", "http://", "www.")
_WEB = re.compile(r"(?:https?://|www\.)(?P<host>[^\s/?#<>\"'\\|]+)[^\s<>\"']*")
# Punctuation that ends a sentence rather than a link: "see https://x.org/a."
_TRAILING = ".,;:!?)]}"
_USERINFO_AND_PORT = re.compile(r"^.*@|:\d*$")


class Link(NamedTuple):
    """A link in the folded text; `invite` is set for invites to a community."""

    host: str  # folded, without "www." or port
    start: int
    end: int
    invite: str | None = None  # "discord/<code>" or "slack/<workspace>"


# Plain words that every invite, or every web link, has one of: one set test tells that
# a message has none, which is most messages.
_INVITE_WORDS = frozenset([b"discord", b"discordapp", b"dsc", b"slack", b"invite"])
_WEB_WORDS = frozenset([b"http", b"https", b"www"])
_LINK_WORDS = _INVITE_WORDS | _WEB_WORDS


def find_links(folded: str, plain: list[bytes]) -> list[Link]:
    """Every invite and web link, in order of appearance; `plain` is its plain reading."""
    if _LINK_WORDS.isdisjoint(plain):
        return []
    links = []
    if not _INVITE_WORDS.isdisjoint(plain):
        links += [_invite(folded, match) for match in _INVITE.finditer(folded)]
    if _WEB_WORDS.isdisjoint(plain):
        return links
    for match in _WEB.finditer(folded):
        host = _USERINFO_AND_PORT.sub("", match.group("host")).strip(_TRAILING).lower()
        end = match.start() + len(match.group().rstrip(_TRAILING))
        links.append(Link(host.removeprefix("www."), match.start(), end))
    return sorted(links, key=lambda link: link.start)


def invite_key(folded: str) -> str | None:
    """The invite key of the first invite in `folded`, for allow lists."""
    match = _INVITE.search(folded)
    return _invite(folded, match).invite if match else None


def host_within(host: str, domains: frozenset[str]) -> bool:
    """Whether `host` is one of `domains` or a subdomain of one."""
    while True:
        if host in domains:
            return True
        _, dot, host = host.partition(".")
        if not dot:
            return False


def _invite(folded: str, match: re.Match[str]) -> Link:
    """The invite `match` found, its span widened to a scheme written before it."""
    start, end = match.start(), match.start() + len(match.group().rstrip(_TRAILING))
    scheme = next((s for s in _SCHEMES if folded.startswith(s, start - len(s))), "")
    start -= len(scheme) if start >= len(scheme) else 0
    if code := match.group("discord"):
        return Link("discord.gg", start, end, f"discord/{code}")
    workspace = match.group("slack") or match.group("workspace")
    return Link("slack.com", start, end, f"slack/{workspace}")
