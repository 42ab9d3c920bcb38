"""Running the bot: on the configured platforms, in the terminal, or from a script."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
import sys
from functools import partial
from pathlib import Path

from bot import data_lock
from bot.app import topology, web
from bot.app.application import App
from bot.app.community_check import check_at_startup
from bot.app.local_session import LocalSession
from bot.app.script import Interpreter, ScriptError
from bot.clock import VirtualClock
from bot.host import Adapter
from bot.settings import Settings

# Scripts replay to the same transcript every time: virtual time and a fixed seed.
SCRIPT_SEED = 0


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the bot while holding the data folder, so a second process cannot share it."""
    with data_lock.hold(settings.data_dir, settings.database_path):
        return await _run(args, settings)


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    script: Path | None = getattr(args, "script", None)
    adapters = [] if script else platform_adapters(settings)
    if not adapters and settings.log_level == "INFO":
        # In the terminal, log lines would tear through the transcript; warnings still show.
        logging.getLogger().setLevel(logging.WARNING)
    if script is not None:
        return await run_script(script, settings)
    if adapters:
        return await run_platforms(settings, adapters)
    from bot.app.console import run_console

    return await run_console(settings)


def platform_adapters(settings: Settings) -> list[Adapter]:
    """The adapters whose tokens are configured."""
    adapters: list[Adapter] = []
    if settings.wants_discord:
        from adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter.from_settings(settings))
    if settings.wants_slack:
        from adapters.slack import SlackAdapter

        adapters.append(SlackAdapter.from_settings(settings))
    return adapters


async def run_platforms(settings: Settings, adapters: list[Adapter]) -> int:
    """Run until SIGINT or SIGTERM, then stop adapters, scheduler and storage in order.

    Exits non-zero when an adapter gives up (its connection ended for good), so a process
    supervisor restarts the bot instead of leaving it running offline.
    """
    app = await App.create(settings, adapters)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, app.request_stop)
    try:
        # The board and /readyz from the start: a standby answers "not ready" until it serves.
        async with web.serving(app.services, settings, scheduler_task=lambda: app.scheduler_task):
            return await serve(app, settings)
    finally:
        await app.close()


async def serve(app: App, settings: Settings) -> int:
    """Claim what this process serves (or, as a standby, wait for it), start, and run until
    stopped; the exit code. The caller closes `app`."""
    try:
        async with topology.claimed(
            app.services.db,
            settings,
            app.services.clock,
            app.fail,
            until=app.wait_until_stopped,
        ):
            try:
                await app.start(on_connected=partial(check_at_startup, app.services))
                await app.wait_until_stopped()
                if app.refusal is not None:
                    raise app.refusal  # refused after a late connection: exit 2, as at once
            finally:
                await app.halt()  # off the platforms before the claims go
    except topology.TopologyRefused as refused:
        print(f"Not started: {refused}", file=sys.stderr)
        return 2
    except topology.StoodDown:
        return 0
    if app.failure is not None:
        print(f"Stopped: {app.failure}", file=sys.stderr)
        return 1
    return 0


async def run_script(path: Path, settings: Settings, out: object = None) -> int:
    """Replay a script; print the transcript; on an error, name the line and exit 1."""
    stream = out or sys.stdout
    try:
        lines = (await asyncio.to_thread(path.read_text, encoding="utf-8")).splitlines()
    except OSError as error:
        print(f"{path}: cannot read the script: {error.strerror}", file=sys.stderr)
        return 2
    session = await LocalSession.open(
        settings, clock=VirtualClock(), persist=True, random_source=random.Random(SCRIPT_SEED)
    )
    interpreter = Interpreter(session)
    try:
        return await replay(interpreter, lines, path.name, stream)
    finally:
        await session.close()


async def replay(interpreter: Interpreter, lines: list[str], name: str, stream: object) -> int:
    transcript = interpreter.community.transcript
    for number, line in enumerate(lines, start=1):
        shown = len(transcript)
        try:
            extra = await interpreter.execute(line)
        except ScriptError as error:
            print(f"{name}:{number}: {error}", file=sys.stderr)
            return 1
        for text in [*transcript[shown:], *extra]:
            print(text, file=stream)  # type: ignore[call-overload]
    return 0
