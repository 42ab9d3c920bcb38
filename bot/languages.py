"""Channel languages and language teams: which language a post is in, who handles which.

The rule every feature follows: a public post uses the language of the channel it goes to
(a thread speaks its parent channel's language), a private reply the member's own, and the
community default fills the gaps. Channels get their language from ``[community.languages]
channels`` (and ``welcome``, whose channels speak the language they welcome in). A member
handles a language when they hold one of its roles (``[community.languages] roles``) or
declared it with ``/languages set`` (stored in ``member_languages``). See docs/languages.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from bot.config import CommunitySettings
from bot.i18n import SHIPPED_LOCALES, I18n, normalise_locale
from bot.model import ChannelRef, Member
from bot.outgoing import Mention, Plain, Rich, RoleMention, Segment, join
from bot.permissions import holds_role
from bot.platform import Platform
from storage.member_languages import MemberLanguages


def known_language(typed: str) -> str | None:
    """A typed language as the bot knows it (``DE``, ``de-AT`` -> ``de``); None for one
    it has no catalog for."""
    code = normalise_locale(typed.strip())
    return code if code in SHIPPED_LOCALES else None


def known_languages() -> str:
    """The languages the bot speaks, for a refusal that lists them: ``en, de, fr``."""
    return ", ".join(SHIPPED_LOCALES)


def own_name(code: str) -> str:
    """A language by its own name, as its speakers write it (CLDR's, through Babel):
    ``Deutsch``, ``Français``, ``Polski``; the code itself for one CLDR does not know.
    A label for the speakers to spot (a tracker's field, the board's language menu)."""
    name = _cldr_name(code, code)
    return code if name is None else name[:1].upper() + name[1:]


def language_name(code: str, locale: str) -> str:
    """A language named in the reader's `locale`, as it is written inside a sentence there
    (CLDR's, through Babel): ``de`` is ``German`` in English, ``allemand`` in French,
    ``Deutsch`` in German; the code itself for one CLDR does not know."""
    return _cldr_name(code, locale) or code


def _cldr_name(code: str, locale: str) -> str | None:
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):  # not a language code CLDR knows
        return None


def shown_language(settings: CommunitySettings, language: str | None) -> str | None:
    """The language a ticket's tracker names: `language` in a community that set up
    ``[community.languages]`` (a channel, a role or a welcome channel per language); None
    elsewhere, so a community of one language sees nothing new."""
    languages = settings.languages
    return language if languages.channels or languages.roles or languages.welcome else None


def language_channels(settings: CommunitySettings) -> dict[str, str]:
    """Channel name or id -> language: the ``channels`` map, then each welcome channel."""
    languages = settings.languages
    found = {name: code for code, name in languages.welcome.items() if name.strip()}
    found.update(languages.channels)
    return found


async def channel_language(
    settings: CommunitySettings, platform: Platform, channel: ChannelRef | None
) -> str | None:
    """The language configured for `channel` (a thread: its parent's), or None.

    A channel named in the configuration by its id or its name is matched without asking
    the platform; only a channel known by id alone (a thread's parent, a reference
    without a name) has the configured names looked up.
    """
    mapped = language_channels(settings)
    if channel is None or not mapped:
        return None
    wanted = channel.parent_id or channel.id
    name = "" if channel.parent_id else channel.name
    for key, code in mapped.items():
        if key == wanted or (name and key.lstrip("#").casefold() == name.casefold()):
            return code
    if name:
        return None  # known by name, and no key names it: a key cannot be another name
    for key, code in mapped.items():
        found = await platform.find_channel(channel.community, key)
        if found is not None and found.id == wanted:
            return code
    return None


def public_locale(i18n: I18n, settings: CommunitySettings, language: str | None) -> str:
    """The language of a public post: the channel's (`language`), else the community's."""
    return i18n.pick_locale(language, settings.locale)


def private_locale(i18n: I18n, settings: CommunitySettings, member_locale: str | None) -> str:
    """The language of a private reply: the member's own, else the community's."""
    return i18n.pick_locale(member_locale, settings.locale)


def role_languages(settings: CommunitySettings, member: Member) -> list[str]:
    """The languages whose configured roles the member holds."""
    return [code for code, roles in settings.languages.roles.items() if holds_role(member, roles)]


async def member_languages(
    settings: CommunitySettings, member: Member, declared: MemberLanguages
) -> list[str]:
    """Every language the member handles: by role, then by their own declaration."""
    stored = await declared.of(member.community.key, member.id)
    return list(dict.fromkeys([*role_languages(settings, member), *stored]))


@dataclass(frozen=True, slots=True)
class LanguageTeam:
    """Who handles one language: its roles and the members who declared it."""

    language: str
    roles: tuple[str, ...] = ()
    member_ids: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.roles and not self.member_ids

    def mentions(self) -> Rich:
        """The team as pings, separated by spaces: each role, then each declared member."""
        pings: list[Segment] = [RoleMention(role, role) for role in self.roles]
        pings += [Mention(member_id) for member_id in self.member_ids]
        return join(pings, Plain(" "))

    def address(self, text: Rich) -> Rich:
        """`text` addressed to the team: its pings, a space, then the text."""
        return (*self.mentions(), Plain(" "), *text)


async def language_team(
    settings: CommunitySettings, language: str | None, declared: MemberLanguages, community: str
) -> LanguageTeam | None:
    """The team of `language`; None without a language or when nobody handles it."""
    if language is None:
        return None
    roles = tuple(role for role in settings.languages.roles.get(language, ()) if role.strip())
    members = tuple(await declared.members_for(community, language))
    team = LanguageTeam(language, roles, members)
    return None if team.empty else team
