"""Helpers for the welcome tests: the cog with a seeded random source, and overrides."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.app.local_session import LocalSession
from cogs.welcome import WelcomeCog

Configure = Callable[..., Awaitable[None]]


def welcome_cog(session: LocalSession) -> WelcomeCog:
    return next(c for c in session.app.dispatcher.cogs if isinstance(c, WelcomeCog))


@pytest.fixture
def cog(session: LocalSession) -> WelcomeCog:
    """The running welcome cog, its variant choice made repeatable."""
    found = welcome_cog(session)
    found.greeter.random = random.Random(7)
    return found


@pytest.fixture
def configure(session: LocalSession) -> Configure:
    """Store community overrides, e.g. ``await configure({"welcome.dm": True})``."""

    async def apply(settings: dict[str, Any]) -> None:
        services = session.app.services
        for key, value in settings.items():
            await services.config.set_override(
                session.community.community, key, value, "test", services.clock.now()
            )

    return apply
