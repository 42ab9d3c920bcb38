"""One bot process of the scale-out benchmark and tests (`benchmarks.scaleout`).

A real `App` on the shared PostgreSQL database, with one cog whose jobs do what a ticket
follow-up does (write a post to the outbox in a transaction, then deliver it at once) and a
platform that takes `--latency` seconds to post. Every post that reaches the "platform" is
appended to this process's log file as ``nonce<TAB>recovering<TAB>unix time``, one
``write`` each, so a line is whole even when the process is killed (SIGKILL) mid-run.

Protocol with the parent: prints ``ready`` once the app is set up, starts its scheduler and
delivery loops when a line ``go`` arrives on stdin, and closes cleanly at end of input.
Run: ``python -m benchmarks._scaleout_node URL LOG [--lease S] [--latency S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from adapters.local import LocalCommunity, LocalPlatform
from bot.app.application import App
from bot.cog import Cog, job
from bot.effects import Post
from bot.model import ChannelRef, Community, MessageRef
from bot.outgoing import OutgoingMessage, rich
from bot.settings import Settings
from storage.jobs import Job

KIND = "scaleout.follow-up"


class FollowUps(Cog):
    """Jobs shaped like ticket follow-ups: one post each, to the job's own thread."""

    name = "scaleout"

    @job(KIND)
    async def follow_up(self, due: Job) -> None:
        channel = ChannelRef(Community.from_key(due.community), str(due.payload["thread"]))
        message = OutgoingMessage(text=rich(f"⏰ Follow-up {due.key}"))
        async with self.services.db.transaction() as tx:
            # Keyed by the job: a job run again after a takeover adds nothing twice.
            pending = await self.services.outbox.add(tx, Post(channel, message), key=due.key)
        await self.services.outbox.deliver(pending)


class SlowPlatform(LocalPlatform):
    """A platform that answers a post after a fixed latency and logs what it was sent."""

    def __init__(self, latency: float, log: Path) -> None:
        super().__init__(LocalCommunity())
        self._latency = latency
        self._log = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._posted = 0

    async def send(  # type: ignore[override]
        self,
        channel: ChannelRef,
        message: OutgoingMessage,
        *,
        allow_pings: bool = True,
        nonce: str | None = None,
        recovering: bool = False,
    ) -> MessageRef:
        await asyncio.sleep(self._latency)
        os.write(self._log, f"{nonce}\t{int(recovering)}\t{time.time():.6f}\n".encode())
        self._posted += 1
        return MessageRef(channel, f"{os.getpid()}-{self._posted}")


async def run(url: str, log: Path, lease: float, latency: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(  # type: ignore[call-arg]
            data_dir=Path(folder), database_url=url, lease_seconds=lease, _env_file=None
        )
        app = await App.create(settings, [SlowPlatform(latency, log)], cog_types=[FollowUps])
        try:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
            print("ready", flush=True)
            if (await reader.readline()).strip() == b"go":
                await app.start()
                await reader.read()  # until the parent closes our stdin
        finally:
            await app.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._scaleout_node")
    parser.add_argument("url")
    parser.add_argument("log", type=Path)
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("SCALEOUT_NODE_LOG", "WARNING"), stream=sys.stderr)
    asyncio.run(run(args.url, args.log, args.lease, args.latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
