"""What the web pages read: the running bot's services and settings, and how the process
is doing (for /readyz)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import jinja2

from bot.board import board_on
from bot.cog import Services
from bot.i18n import I18n
from bot.model import Community
from bot.settings import Settings
from storage.board import BoardRepository


@dataclass
class WebContext:
    services: Services
    settings: Settings
    texts: I18n
    templates: jinja2.Environment
    # Communities this process serves that may have no ticket yet (the local community):
    # their boards exist before the first ticket does.
    served: frozenset[str] = frozenset()
    # The scheduler's loop, once started: /readyz reports it dead if it ended.
    scheduler_task: Callable[[], asyncio.Task[None] | None] = lambda: None
    names: dict[str, str] = field(default_factory=dict)

    @property
    def board(self) -> BoardRepository:
        return BoardRepository(self.services.db)

    async def known(self, key: str) -> bool:
        """Whether a community exists for the board: served here, or with tickets."""
        return key in self.served or key in await self.board.communities()

    async def board_enabled(self, community: Community) -> bool:
        return board_on((await self.services.config.get(community)).community.board, community)

    async def enabled_boards(self, keys: Iterable[str]) -> list[Community]:
        found = [Community.from_key(k) for k in sorted(set(keys))]
        return [c for c in found if await self.board_enabled(c)]

    async def community_name(self, community: Community) -> str:
        """The configured name, else the platform's (remembered), else the key."""
        configured = (await self.services.config.get(community)).community.name
        if configured:
            return configured
        if community.key not in self.names:
            try:
                platform = self.services.platform(community)
                self.names[community.key] = await platform.community_name(community)
            except Exception:  # not connected here, or the platform does not know it (now)
                return community.key
        return self.names[community.key]
