"""Shared fixtures: a bot on a local community, a real SQLite file and a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def write_config(tmp_path: Path, settings: Settings) -> Callable[[str], Path]:
    """Write a community TOML file and point the settings at it."""

    def write(text: str) -> Path:
        path = tmp_path / "botschafter.toml"
        path.write_text(text, encoding="utf-8")
        settings.config_file = path
        return path

    return write


@pytest.fixture
async def session(settings: Settings, clock: VirtualClock) -> AsyncIterator[LocalSession]:
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Alice", roles=("Admins",))
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Amy", roles=("Ambassadors",))
    community.add_member("Ben")
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()
