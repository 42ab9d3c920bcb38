"""The export ``python -m bot discord automod sync`` applies when it is given no file.

The Discord adapter may not import the cogs, so the application layer hands it this:
checked once before the bot logs in (the options and the configuration file), then
asked for each server's rules, the community ``discord:<server id>`` (its own
``[communities."discord:…"]`` rules, else the file's, else the defaults). Each export
prints the same summary ``rules export`` does, so what does not fit is said on every run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from bot.settings import Settings
from cogs.moderation.automod.cli import describe, export_rules, parse_options

CommunityExport = Callable[[str], dict[str, Any] | None]


def automod_export(args: argparse.Namespace, settings: Settings) -> CommunityExport | None:
    """A function from a community key to its export document (None after saying why
    not); None itself when ``--alert-channel``, ``--timeout`` or the file cannot be used."""
    options = parse_options(args)
    if options is None:
        return None
    path = settings.config_file
    if export_rules(path, None, options) is None:
        return None  # the file itself is unusable: said before the bot logs in

    def for_community(community: str) -> dict[str, Any] | None:
        made = export_rules(path, community, options)
        if made is None:
            return None
        result, source = made
        describe(result, source, None, sys.stdout, hint=False)
        return result.as_json(community)

    return for_community
