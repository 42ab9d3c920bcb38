"""The [tickets] table: typos are caught at start-up and at /config set, naming the key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import ConfigFile, check_file
from bot.errors import ConfigError
from cogs.tickets.config import TicketsConfig
from tests.tickets.desk import Desk

SECTIONS = {"tickets": TicketsConfig}


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ('quiet_after = "5 days"', "tickets.quiet_after: “5 days” is not a duration"),
        ('repeat_every = "0s"', "tickets.repeat_every: “0s” is out of range"),
        ("max_open_per_member = 0", "tickets.max_open_per_member: Input should be greater"),
        ('company_webhook = "ftp://x"', "tickets.company_webhook: the webhook"),
        ('categories = ["app", "App"]', "tickets.categories: a category is listed"),
        ('digest = { day = "someday" }', "tickets.digest.day: Input should be 'monday'"),
        ('digest = { time = "9am" }', "tickets.digest.time: “9am” is not a time"),
        (
            'digest = { timezone = "Mars/Olympus" }',
            "tickets.digest.timezone: “Mars/Olympus” is not a time zone",
        ),
        ('colour = "blue"', "tickets.colour: Extra inputs are not permitted"),
    ],
)
def test_a_bad_tickets_setting_names_file_key_and_problem(
    tmp_path: Path, toml: str, problem: str
) -> None:
    path = tmp_path / "bot.toml"
    path.write_text(f"[tickets]\n{toml}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        check_file(ConfigFile.load(path), SECTIONS)
    assert str(path) in str(raised.value) and f": {problem}" in str(raised.value)


def test_off_switches_the_optional_durations_off(write_config: Callable[[str], Path]) -> None:
    config = TicketsConfig.model_validate({"cooldown": "off", "remind_before": "0"})
    assert config.cooldown is None and config.remind_before is None


async def test_config_set_refuses_a_bad_duration(desk: Desk) -> None:
    reply = await desk.run("Alice", "/config set tickets.quiet_after soon")
    assert "That setting was not saved" in reply and "“soon” is not a duration" in reply
    assert "Saved" in await desk.run("Alice", "/config set tickets.quiet_after 2d")
