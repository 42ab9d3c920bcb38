"""The end-to-end benchmark's Discord: the wire-level fake, in a process of its own.

Discord is another machine; here it is another process, so the benchmarked process spends
its core on the bot alone (discord.py included). The fake (`tests.discord.wire_fake`)
serves two servers (`_pipeline_traffic.SERVERS`), takes reactions, and answers two
control routes:

- ``POST /bench/send`` builds a batch of ``MESSAGE_CREATE`` frames and sends them on the
  gateway, as fast as the socket takes them or paced at ``rate`` per second (or, with
  ``send`` false, only expects the batch's flags: the bench hands those messages over;
  with ``more``, the frames are a further part of the batch before);
- ``GET /bench/report`` says when each frame went out and when the flag for each breaking
  message was posted (monotonic nanoseconds, comparable between processes on Linux);
- ``GET /bench/flag_posts?last=N`` gives the last N flags' requests as they arrived (the
  post's channel and body, the emojis its reactions added), for the bench to send them
  again with discord.py alone, to `ECHO_CHANNEL`, where posts count as nothing.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from aiohttp import web

from benchmarks._pipeline_traffic import SERVERS, guild_payload, ready_payload, traffic
from tests.discord.wire_fake import FakeDiscord, as_json, listening

# The jump link on a flag names the flagged message: .../channels/<guild>/<channel>/<id>.
_JUMP = re.compile(rb"/channels/\d+/\d+/(\d+)")
# Posts here are the bench's own, timing discord.py alone: neither flags nor false positives.
ECHO_CHANNEL = 15_999


@dataclass
class BenchDiscord(FakeDiscord):
    seed: int = 0
    sent_at: list[int] = field(default_factory=list)
    flagged_at: dict[int, int] = field(default_factory=dict)
    breaking: set[int] = field(default_factory=set)
    message_ids: list[int] = field(default_factory=list)
    unknown_routes: Counter[str] = field(default_factory=Counter)
    other_posts: int = 0  # posts that are no flag of a breaking message (false positives)
    twice: int = 0  # a breaking message's flag posted again
    # Each flag's requests: [channel, body, the emojis of its reactions], by message id.
    flag_requests: dict[int, list[Any]] = field(default_factory=dict)
    sending: asyncio.Task[None] | None = None

    def app(self) -> web.Application:
        app = super().app()
        app.middlewares.append(self._count_unknown)
        react = "/api/v10/channels/{channel}/messages/{message}/reactions/{emoji}/@me"
        app.router.add_put(react, self.react)
        app.router.add_post("/bench/send", self.send)
        app.router.add_get("/bench/report", self.report)
        app.router.add_get("/bench/flag_posts", self.flag_posts)
        return app

    def ready(self) -> dict[str, Any]:
        return ready_payload()

    def guilds_created(self) -> list[dict[str, Any]]:
        return [guild_payload(server) for server in SERVERS]

    async def create_message(self, request: web.Request) -> web.Response:
        """Note when a flag for a breaking message arrives (before reading the body)."""
        arrived = time.monotonic_ns()
        channel = int(request.match_info["channel"])
        if channel == ECHO_CHANNEL:
            return await super().create_message(request)
        body = await request.read()
        flagged = {int(found) for found in _JUMP.findall(body)} & self.breaking
        for message_id in flagged:
            self.twice += message_id in self.flagged_at
            self.flagged_at.setdefault(message_id, arrived)
        self.other_posts += not flagged
        response = await super().create_message(request)
        if flagged:
            posted = json.loads(response.body)  # type: ignore[arg-type]
            self.flag_requests[int(posted["id"])] = [channel, json.loads(body), []]
        return response

    async def react(self, request: web.Request) -> web.Response:
        flag = self.flag_requests.get(int(request.match_info["message"]))
        if flag is not None:
            flag[2].append(request.match_info["emoji"])
        return web.Response(status=204)

    async def flag_posts(self, request: web.Request) -> web.Response:
        last = int(request.query["last"])
        return as_json(list(self.flag_requests.values())[-last:] if last else [])

    async def send(self, request: web.Request) -> web.Response:
        order = await request.json()
        server = next(s for s in SERVERS if s.name == order["server"])
        batch = traffic(server, order["batch"], order["count"], self.seed)
        if not order.get("more"):  # else the batch goes on (sent in several parts)
            self.sent_at, self.flagged_at, self.breaking, self.message_ids = [], {}, set(), []
        self.breaking |= batch.breaking
        self.message_ids += batch.message_ids
        if order.get("send", True):  # else the bench hands the messages to the bot itself
            self.sending = asyncio.create_task(self._send(batch.frames, float(order["rate"])))
        return as_json({"frames": len(batch.frames), "breaking": len(batch.breaking)})

    async def report(self, request: web.Request) -> web.Response:
        if self.sending is not None and self.sending.done():
            self.sending.result()  # a failed send fails the benchmark, loudly
        sent = dict(zip(self.message_ids, self.sent_at, strict=False))
        return as_json(
            {
                "sent": len(self.sent_at),
                "first_sent": self.sent_at[0] if self.sent_at else None,
                "last_sent": self.sent_at[-1] if self.sent_at else None,
                # breaking message id: [frame sent, flag posted]
                "flagged": {str(i): [sent.get(i), at] for i, at in sorted(self.flagged_at.items())},
                "unknown_routes": dict(self.unknown_routes),
                "other_posts": self.other_posts,
                "twice": self.twice,
            }
        )

    async def _send(self, frames: list[str], rate: float) -> None:
        """Send every frame: back to back (`rate` 0), or each at its time at `rate` per s."""
        socket = self.socket
        assert socket is not None, "the bot is not connected"
        clock = time.monotonic_ns
        started = clock()
        interval = 1e9 / rate if rate else 0.0
        for number, frame in enumerate(frames):
            if interval:
                early = started + number * interval - clock()
                if early > 0:
                    await asyncio.sleep(early / 1e9)
            self.sent_at.append(clock())
            await socket.send_str(frame)

    @web.middleware
    async def _count_unknown(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """A route the bot needs and the fake lacks shows in the report, not as a hang."""
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as error:
            self.unknown_routes[f"{request.method} {request.path} {error.status}"] += 1
            raise
        return response


def serve(seed: int, connection: Connection) -> None:
    """The child process: serve until the parent says stop; the port goes up the pipe."""
    asyncio.run(_serve(seed, connection))


async def _serve(seed: int, connection: Connection) -> None:
    async with listening(BenchDiscord(seed=seed)) as port:
        connection.send(port)
        await asyncio.get_running_loop().run_in_executor(None, connection.recv)
