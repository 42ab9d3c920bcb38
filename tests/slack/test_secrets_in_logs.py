"""Secrets stay out of the log even at DEBUG: tokens, the signing secret and a company
webhook URL, while a real Slack adapter runs a ticket escalation end to end."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from slack_fake_api import BOT_TOKEN, SIGNING_SECRET
from slack_harness import open_rig
from slack_harness_users import ALICE, AMY, BEN, GENERAL

from adapters.slack import SlackOptions
from bot.clock import VirtualClock
from bot.logs import LIBRARIES, configure_logging
from bot.settings import Settings
from cogs.tickets.config import TicketsConfig

DISCORD_TOKEN = "MTIz.discord-s3cret-token"
WEBHOOK = "http://127.0.0.1:9/services/T0COMPANY/B0HOOK/webhook-s3cret"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, DISCORD_TOKEN, "webhook-s3cret")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging changes process-wide loggers; put them back after the test."""
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def leaks(records: list[logging.LogRecord]) -> list[str]:
    formatter = logging.Formatter()
    shown = [
        f"{r.name}: {r.getMessage()} {formatter.formatException(r.exc_info) if r.exc_info else ''}"
        for r in records
    ]
    return [line for line in shown if any(secret in line for secret in SECRETS)]


@pytest.mark.usefixtures("restored_logging")
async def test_nothing_secret_is_logged_at_debug_during_an_escalation(
    settings: Settings, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings.log_level = "DEBUG"
    settings.discord_token = SecretStr(DISCORD_TOKEN)
    settings.slack_bot_token = SecretStr(BOT_TOKEN)
    settings.slack_signing_secret = SecretStr(SIGNING_SECRET)
    configure_logging(settings)
    caplog.set_level(logging.DEBUG)
    async with open_rig(settings, clock) as rig:
        await rig.command(ALICE, f"/config set tickets.company_webhook {WEBHOOK}")
        await rig.command(BEN, "/ticket open Printer is on fire", channel=GENERAL)
        await rig.command(AMY, "/ticket escalate #1 Asked the vendor")
        await rig.app.services.scheduler.run_due()
        config = await rig.app.services.config.get(rig.adapter.community)
        tickets = config.section("tickets", TicketsConfig)
        assert tickets.company_webhook.get_secret_value() == WEBHOOK  # it was used
        shown = [repr(settings), repr(rig.adapter.options), repr(tickets), str(config.shown())]
    assert logging.getLogger("adapters.slack").isEnabledFor(logging.DEBUG)  # DEBUG was on
    assert leaks(caplog.records) == []
    assert [text for text in shown if any(secret in text for secret in SECRETS)] == []


@pytest.mark.usefixtures("restored_logging")
def test_library_debug_lines_come_back_when_asked(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.log_level = "DEBUG"
    configure_logging(settings)
    assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.INFO
    settings.log_libraries_debug = True
    configure_logging(settings)
    assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.DEBUG


def test_slack_options_never_show_their_secrets() -> None:
    options = SlackOptions(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, mode="http")
    assert BOT_TOKEN not in repr(options) and SIGNING_SECRET not in repr(options)
    assert options.bot_token.get_secret_value() == BOT_TOKEN
