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
_INVITE = re.compile(
    rf"(?:https?://)?(?:www\.)?(?:"
    rf"(?:discord(?:app)?{_DOT}com{_SLASH}invite|discord{_DOT}(?:gg|me|io|li)"
    rf"|dsc{_DOT}gg|invite{_DOT}gg){_SLASH}(?P<discord>[a-z0-9-]{{2,}})"
    rf"|join{_DOT}slack{_DOT}com{_SLASH}t{_SLASH}(?P<slack>[a-z0-9-]+)(?:/[^\s<>]*)?"
    rf"|(?P<workspace>[a-z0-9-]+){_DOT}slack{_DOT}com{_SLASH}join(?:/[^\s<>]*)?)"
)
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


# Words every link or invite has one of, once split into plain words; one set test
# tells that a message has no link, which is most of them.
_LINK_WORDS = frozenset(
    [b"http", b"https", b"www", b"discord", b"discordapp", b"dsc", b"slack", b"invite"]
)


def find_links(folded: str, plain: list[bytes]) -> list[Link]:
    """Every invite and web link, in order of appearance; `plain` is its plain reading."""
    if _LINK_WORDS.isdisjoint(plain):
        return []
    links = [_invite(match) for match in _INVITE.finditer(folded)]
    for match in _WEB.finditer(folded):
        host = _USERINFO_AND_PORT.sub("", match.group("host")).strip(_TRAILING).lower()
        end = match.start() + len(match.group().rstrip(_TRAILING))
        links.append(Link(host.removeprefix("www."), match.start(), end))
    return sorted(links, key=lambda link: link.start)


def invite_key(folded: str) -> str | None:
    """The invite key of the first invite in `folded`, for allow lists."""
    match = _INVITE.search(folded)
    return _invite(match).invite if match else None


def host_within(host: str, domains: frozenset[str]) -> bool:
    """Whether `host` is one of `domains` or a subdomain of one."""
    while True:
        if host in domains:
            return True
        _, dot, host = host.partition(".")
        if not dot:
            return False


def _invite(match: re.Match[str]) -> Link:
    end = match.start() + len(match.group().rstrip(_TRAILING))
    if code := match.group("discord"):
        return Link("discord.gg", match.start(), end, f"discord/{code}")
    workspace = match.group("slack") or match.group("workspace")
    return Link("slack.com", match.start(), end, f"slack/{workspace}")
