"""The community check of every connected platform, at start-up and in ``config check
--platform``: a log line per problem, and one message to each community's admin channel.

What counts as a problem is `bot.community_check`; this module asks the platforms, words
the result and tells the admins. The same list is posted to a community at most once a day
however often the bot restarts (a crash loop must not flood the admins' channel).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from bot import data_lock
from bot.app.application import App
from bot.app.local_session import LocalSession
from bot.cog import Services
from bot.community_check import Problem, problems
from bot.config import EffectiveConfig
from bot.effects import Post
from bot.errors import PlatformError
from bot.events import Event
from bot.host import Declarations
from bot.inventory import CommunityFacts, Use
from bot.outgoing import OutgoingMessage, join, rich
from bot.platform import Platform
from bot.settings import Settings
from cogs.moderation.config import ModerationConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """One community's facts and what is wrong there."""

    facts: CommunityFacts
    problems: list[Problem]
    config: EffectiveConfig

    def lines(self, services: Services) -> list[str]:
        """One English line per problem, naming the community."""
        where = f"{self.facts.community.key} ({self.facts.name})"
        return [f"{where}: {p.text(services.i18n)}" for p in self.problems]


async def survey(services: Services, platforms: Iterable[Platform] | None = None) -> list[Report]:
    """Check every community of every connected platform (or of `platforms`); a platform
    that cannot answer raises its `PlatformError`."""
    reports: list[Report] = []
    for platform in services.platforms if platforms is None else platforms:
        for facts in await platform.inspect_communities():
            config = await services.config.get(facts.community)
            found = problems(config, facts, platform.capabilities)
            reports.append(Report(facts, found, config))
    return reports


async def check_at_startup(
    services: Services, platforms: Iterable[Platform] | None = None
) -> list[Report]:
    """Log every problem and tell each community's admins; an unanswered check is logged
    and the bot runs on (it is a diagnosis, not a precondition). A platform connected
    late (it could not be reached at start) is checked on its own once it is."""
    try:
        reports = await survey(services, platforms)
    except PlatformError as error:
        log.warning("could not check the configured channels and roles: %s", error)
        return []
    for report in reports:
        for line in report.lines(services):
            log.warning("%s", line)
        if report.problems:
            await tell_admins(services, report)
    return reports


async def tell_admins(services: Services, report: Report) -> None:
    """Post the problems to the admins' channel through the outbox (once a day per list)."""
    community = report.facts.community
    wanted = admin_channel(report.config)
    facts = report.facts.channel(wanted) if wanted else None
    if facts is None or Use.POST not in facts.may:
        log.warning("%s: no admin channel the bot may post in to report this", community.key)
        return
    channel = await services.platform(community).find_channel(community, facts.id)
    if channel is None:
        return
    locale = services.i18n.pick_locale(None, report.config.community.locale)
    lines = [rich("• ", p.text(services.i18n, locale)) for p in report.problems]
    text = join(
        [
            services.i18n.t("core.check.title", locale),
            *lines,
            services.i18n.t("core.check.footer", locale),
        ]
    )
    digest = hashlib.sha256("\n".join(report.lines(services)).encode()).hexdigest()[:16]
    day = services.clock.now().date().isoformat()
    async with services.db.transaction() as tx:
        pending = await services.outbox.add(
            tx,
            Post(channel, OutgoingMessage(text=text), allow_pings=False),
            key=f"community-check:{community.key}:{day}:{digest}",
        )
    await services.outbox.deliver(pending)


def admin_channel(config: EffectiveConfig) -> str:
    """Where admins hear about problems: the moderation alert channel, else the
    ambassadors' channel (as the moderation desk's own alerts go)."""
    try:
        alert = config.section("moderation", ModerationConfig).alert_channel
    except KeyError:  # the moderation feature is not loaded
        alert = ""
    return alert or config.community.channels.ambassadors


def print_reports(reports: list[Report], services: Services, out: TextIO) -> int:
    """What ``config check --platform`` prints; 1 when anything is wrong (or nothing was
    there to check), else 0."""
    if not reports:
        print("The bot is in no community yet: nothing to check.", file=out)
        return 1
    for report in reports:
        where = f"{report.facts.community.key} ({report.facts.name})"
        if not report.problems:
            print(f"{where}: every configured channel and role is there and usable.", file=out)
            continue
        count = len(report.problems)
        print(f"{where}: {count} problem{'s' if count > 1 else ''}", file=out)
        for problem in report.problems:
            print(f"  - {problem.text(services.i18n)}", file=out)
    return 1 if any(r.problems for r in reports) else 0


async def check_platforms(settings: Settings, out: TextIO) -> int:
    """Connect with the configured tokens (or open the local community without any), check,
    print, disconnect. Events arriving meanwhile are dropped: the check changes nothing."""
    from bot.app.runner import platform_adapters  # the runner reports through this module

    adapters = platform_adapters(settings)
    # A first run creates the database; its migration lines would only clutter the report.
    logging.getLogger("storage.database").setLevel(logging.WARNING)
    with data_lock.hold(settings.data_dir, settings.database_path):
        if not adapters:
            session = await LocalSession.open(settings, persist=True)
            app = session.app  # closed without saving: a check leaves the community as it was
        else:
            app = await App.create(settings, adapters)
        try:
            for adapter in app.adapters:
                await adapter.start(_QuietHost(app))
            reports = await survey(app.services)
        except PlatformError as error:
            print(f"Could not check the platform: {error}", file=out)
            return 1
        finally:
            await app.close()
        return print_reports(reports, app.services, out)


class _QuietHost:
    """The application as a checking adapter sees it: it hears nothing."""

    def __init__(self, app: App) -> None:
        self._app = app

    @property
    def services(self) -> Services:
        return self._app.services

    @property
    def declarations(self) -> Declarations:
        return self._app.declarations

    @property
    def checking(self) -> bool:
        return True

    async def deliver(self, event: Event) -> None:
        log.debug("checking only; not handled: %r", event)

    def fail(self, reason: str) -> None:
        log.warning("the connection ended during the check: %s", reason)
