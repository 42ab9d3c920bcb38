"""End to end: gateway frames in, flags out, through discord.py and the whole bot.

    python -m benchmarks.pipeline [--messages 20000] [--paced 10000] [--seed 15] [--quick]

A wire-level fake Discord (`tests.discord.wire_fake`, in a process of its own, on
127.0.0.1) sends real ``MESSAGE_CREATE`` gateway frames to the real bot: discord.py, the
Discord adapter, the event intake, the dispatcher with every shipped cog, moderation and
storage (SQLite unless ``--database-url``), until the flag is posted on the fake's REST
API. Two servers: one with the default rules, one with a 10,000-keyword list too; about
2% of messages break a rule, each in a flag of its own. For each server, one after the
other:

- **throughput**: frames back to back; messages per second from the first frame sent to
  the last message handled and the last flag posted (the bot's process uses one core);
- **shares**: in the same process, discord.py alone parses a batch of frames (its
  gateway's ``received_message`` on a client without the bot: JSON, the ``Message``
  object, the cache), then the bot handles those very messages from the moment
  discord.py hands them over (``on_message``) to their flags posted; CPU time per message
  of each, so the bot's share can be held against discord.py's;
- **latency**: frames paced at 1,000 per second; p50/p99 from a breaking message's frame
  sent to its flag posted.

Every flag must arrive exactly once and no message may be shed, or the run fails. The
load average is printed with the figures. Output: human-readable lines, then exactly one
JSON line with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import discord
from pydantic import SecretStr

from adapters.discord import DiscordAdapter, DiscordOptions
from benchmarks import _pipeline_discord
from benchmarks._pipeline_traffic import SERVERS, Server, config_toml, guild_payload, traffic
from benchmarks._pipeline_traffic import ready_payload as ready_data
from bot.app.application import App
from bot.events import MessagePosted
from bot.settings import Settings
from tests.discord.wire_fake import discord_at, parsing_gateway

TARGET_MSGS_PER_S = 10_000
TARGET_P99_MS = 50.0
PACED_RATE = 1000.0
# Frames handled before anything is timed: rule sets compiled, caches filled, the regular
# authors' first posts noted (a running bot has done all of that long ago).
_WARM_UP = 4000
_FIRST_TRICKLE = 100
# Frames sent back to back before the bench waits for the bot to take them in: well under
# the 1,000 events the intake holds before it sheds messages (bot/intake.py).
_PART = 500
# How often the finish line is looked at; small next to the runs it ends.
_POLL_SECONDS = 0.001
# Longest wait for a batch to be handled before the run is called failed.
_PATIENCE_SECONDS = 120.0
# A paced run is over when nothing has moved for this long (the rest was shed).
_QUIET_SECONDS = 3.0
_QUICK = {"messages": 1000, "shares": 500, "paced": 400, "warm_up": 300}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures, and return them."""
    args = _arguments(argv)
    figures = asyncio.run(measure(args))
    _report(figures)
    return figures


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "benchmark": "pipeline",
        "quick": args.quick,
        "backend": "postgresql" if args.database_url else "sqlite",
        "seed": args.seed,
        "messages": args.messages,
        "paced_messages": args.paced,
        "paced_rate": PACED_RATE,
        "breaking_share": 0.02,
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    fake = context.Process(target=_pipeline_discord.serve, args=(args.seed, theirs), daemon=True)
    fake.start()
    try:
        port = ours.recv()
        with tempfile.TemporaryDirectory() as folder, discord_at(port):
            settings = _settings(Path(folder), args)
            bench = await Bench.connect(settings, port)
            try:
                for server in SERVERS:
                    figures |= await bench.server_figures(server, args)
                # Posts that are no flag of a breaking message: false positives of the rules.
                figures["unexpected_posts"] = (await bench._get("/bench/report"))["other_posts"]
            finally:
                await bench.close()
    finally:
        ours.send("stop")
        fake.join(timeout=10)
    figures["load_average_at_end"] = round(os.getloadavg()[0], 2)
    figures |= _verdict(figures)
    return figures


class Bench:
    """The bot on the fake Discord, and the fake's control routes."""

    def __init__(self, app: App, adapter: DiscordAdapter, control: aiohttp.ClientSession) -> None:
        self.app = app
        self.adapter = adapter
        self.control = control
        self.batches = 0

    @classmethod
    async def connect(cls, settings: Settings, port: int) -> Bench:
        options = DiscordOptions(
            token=SecretStr("good-token"), guild_ready_timeout=0.05, sync_commands=False
        )
        adapter = DiscordAdapter(options)
        app = await App.create(settings, [adapter])
        await app.start()
        control = aiohttp.ClientSession(f"http://127.0.0.1:{port}")
        bench = cls(app, adapter, control)
        await _until(lambda: len(adapter.client.guilds) >= len(SERVERS))
        return bench

    async def close(self) -> None:
        await self.control.close()
        await self.app.close()

    async def server_figures(self, server: Server, args: argparse.Namespace) -> dict[str, Any]:
        name = server.name
        # A community's first message waits for its rules to be compiled, and so does every
        # message behind it: a flood then would be shed (bot.intake), so a trickle first.
        await self.run(server, _FIRST_TRICKLE, rate=PACED_RATE)
        await self.run(server, args.warm_up, rate=0.0)
        gc.collect()
        figures = await self.throughput(server, args.messages)
        figures |= await self.shares(server, args.shares, args.seed)
        figures |= await self.latency(server, args.paced)
        return {f"{name}_{key}": value for key, value in figures.items()}

    async def throughput(self, server: Server, count: int) -> dict[str, Any]:
        cpu = time.process_time()
        report, handled_at = await self.run(server, count, rate=0.0)
        cpu = time.process_time() - cpu
        last_flag = max((posted for _, posted in report["flagged"].values()), default=0)
        seconds = (max(handled_at, last_flag) - report["first_sent"]) / 1e9
        return {
            "msgs_per_s": round(count / seconds),
            "cpu_us_per_msg": round(cpu / count * 1e6, 1),
            "flags": len(report["flagged"]),
        }

    async def shares(self, server: Server, count: int, seed: int) -> dict[str, Any]:
        """discord.py's parse of a batch, then the bot's handling of the same messages from
        ``on_message`` on: the ordinary ones first, then those that break a rule (until
        their flags are posted). CPU time of this process (the database's thread included)."""
        self.batches += 1
        batch = traffic(server, self.batches, count, seed)
        parsed, parse_cpu = await _parse_alone(batch.frames)
        order = {"server": server.name, "batch": self.batches, "count": count, "rate": 0}
        await self._post("/bench/send", order | {"send": False})
        ordinary = [m for m in parsed if m.id not in batch.breaking]
        breaking = [m for m in parsed if m.id in batch.breaking]
        ordinary_cpu = await self._hand_over(ordinary, 0)
        flag_cpu = await self._hand_over(breaking, len(breaking))
        requests_cpu, requests = await self._requests_alone(len(breaking))
        bot_cpu = ordinary_cpu + flag_cpu
        return {
            "discordpy_parse_us_per_msg": round(parse_cpu / count * 1e6, 1),
            "bot_us_per_msg": round(bot_cpu / count * 1e6, 1),
            "bot_share_vs_parse": round(bot_cpu / parse_cpu, 2),
            "bot_us_per_ordinary_msg": round(ordinary_cpu / len(ordinary) * 1e6, 1),
            "ordinary_share_vs_parse": round(ordinary_cpu / len(ordinary) / (parse_cpu / count), 2),
            "bot_ms_per_flag": round(flag_cpu / max(1, len(breaking)) * 1e3, 2),
            "discordpy_ms_per_flag_requests": round(requests_cpu / max(1, len(breaking)) * 1e3, 2),
            "requests_per_flag": round(requests / max(1, len(breaking)), 1),
        }

    async def _requests_alone(self, flags: int) -> tuple[float, int]:
        """CPU seconds discord.py takes, without the bot, for the requests of the last
        `flags` flags: each post sent again as the fake received it (through
        ``HTTPClient.send_message`` and the ``Message`` discord.py makes of the answer, as
        ``Messageable.send`` does), to a channel where it counts as nothing, and each
        reaction. The part of a flag's cost no work of the bot's can remove. Returns the
        seconds and the number of requests."""
        client = self.adapter.client
        http, state = client.http, client._connection
        echo = discord.Object(_pipeline_discord.ECHO_CHANNEL)
        flagged = await self._get(f"/bench/flag_posts?last={flags}")
        requests = 0
        cpu = time.process_time()
        for channel_id, body, emojis in flagged:
            channel = client.get_channel(channel_id)
            params = discord.http.MultipartParameters(payload=body, multipart=None, files=None)
            data = await http.send_message(echo.id, params=params)
            state.create_message(channel=channel, data=data)  # type: ignore[arg-type]
            for emoji in emojis:
                await http.add_reaction(echo.id, data["id"], emoji)
            requests += 1 + len(emojis)
        return time.process_time() - cpu, requests

    async def _hand_over(self, messages: list[discord.Message], flags: int) -> float:
        """CPU seconds for the bot to handle `messages` as discord.py hands them over."""
        on_message = self.adapter.client.on_message  # type: ignore[attr-defined]
        handled = self._handled() + len(messages)
        cpu = time.process_time()
        for message in messages:
            await on_message(message)
        await self._finished(handled, flags)
        return time.process_time() - cpu

    async def latency(self, server: Server, count: int) -> dict[str, Any]:
        """Frames paced at `PACED_RATE`; from each breaking message's frame to its flag. A
        bot that cannot keep up sheds messages (bot.intake): they are counted, and the
        flags that did arrive are timed."""
        self.batches += 1
        handled = self._handled() + count
        order = {"server": server.name, "batch": self.batches, "count": count, "rate": PACED_RATE}
        flags = (await self._post("/bench/send", order))["breaking"]
        report = await self._settled(count, handled, flags)
        waits = sorted((posted - sent) / 1e6 for sent, posted in report["flagged"].values())
        # quantiles needs two values: a run too short to hold two flags repeats what it has
        sample = (waits or [0.0]) * 2 if len(waits) < 2 else waits
        cuts = statistics.quantiles(sample, n=100, method="inclusive")
        return {
            "paced_p50_ms": round(cuts[49], 2),
            "paced_p99_ms": round(cuts[98], 2),
            "paced_max_ms": round(waits[-1] if waits else 0.0, 2),
            "paced_flags": len(waits),
            "paced_shed": handled - self._handled(),
            "paced_flags_missing": flags - len(waits),
        }

    async def _settled(self, count: int, handled: int, flags: int) -> dict[str, Any]:
        """The fake's report once every frame is sent and the bot has handled them all and
        posted every flag, or nothing has moved for `_QUIET_SECONDS` (messages shed)."""
        last, still_since = None, time.monotonic()
        while True:
            await asyncio.sleep(_POLL_SECONDS * 50)
            report = await self._get("/bench/report")
            _check(report)
            if report["sent"] == count and (
                self._handled() >= handled and len(report["flagged"]) >= flags
            ):
                return report
            progress = (report["sent"], self._handled(), len(report["flagged"]))
            if progress != last:
                last, still_since = progress, time.monotonic()
            elif time.monotonic() - still_since > _QUIET_SECONDS:
                return report

    async def run(self, server: Server, count: int, *, rate: float) -> tuple[dict[str, Any], int]:
        """Have the fake send a batch; wait until every message is handled and every flag
        posted. Returns the fake's report and when the last message was handled.

        Back to back (`rate` 0), the frames go in parts the event intake holds: a part is
        sent once the one before has reached the dispatcher, so none is shed."""
        handled, flags = self._handled(), 0
        part = _PART if not rate else count
        for start in range(0, count, part):
            self.batches += 1
            size = min(part, count - start)
            order = {"server": server.name, "batch": self.batches, "count": size, "rate": rate}
            flags += (await self._post("/bench/send", order | {"more": bool(start)}))["breaking"]
            handled += size
            await _until(lambda handled=handled: self._handled() >= handled)  # type: ignore[misc]
        return await self._finished(handled, flags)

    async def _finished(self, handled: int, flags: int) -> tuple[dict[str, Any], int]:
        """Wait for `handled` messages in all and `flags` flags of this batch."""
        deadline = time.monotonic() + _PATIENCE_SECONDS
        handled_at = 0
        while True:
            if not handled_at and self._handled() >= handled:
                handled_at = time.monotonic_ns()
            if handled_at:
                report = await self._get("/bench/report")
                if len(report["flagged"]) >= flags:
                    break
                await asyncio.sleep(_POLL_SECONDS * 20)
            else:
                await asyncio.sleep(_POLL_SECONDS)
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"gave up waiting: {self._handled()} of {handled} messages handled; "
                    f"the fake reports {await self._get('/bench/report')}"
                )
        _check(report)
        if len(report["flagged"]) != flags:
            raise RuntimeError(f"{len(report['flagged'])} flags for {flags} breaches: {report}")
        return report, handled_at

    def _handled(self) -> int:
        """Messages that reached the dispatcher (a shed message never does)."""
        return self.app.services.metrics.events[MessagePosted, "discord"]

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.control.post(path, json=body) as response:
            response.raise_for_status()
            return await response.json()

    async def _get(self, path: str) -> Any:
        async with self.control.get(path) as response:
            response.raise_for_status()
            return await response.json()


def _check(report: dict[str, Any]) -> None:
    """Nothing twice, and no request the fake could not answer."""
    problems = {k: report[k] for k in ("unknown_routes", "twice") if report[k]}
    if problems:
        raise RuntimeError(f"the fake saw something wrong: {problems}")


async def _until(done: Callable[[], bool]) -> None:
    """Look at `done` every `_POLL_SECONDS` until it holds: the bot's counters have no
    event to wait on, and a look costs next to nothing."""
    while True:
        if done():
            return
        await asyncio.sleep(_POLL_SECONDS)


async def _parse_alone(frames: list[str]) -> tuple[list[discord.Message], float]:
    """discord.py's own work on `frames`, without the bot: its gateway's
    ``received_message`` on a client with the bot's intents and caches and no listeners.
    Returns the messages and the CPU seconds taken."""
    client, ws = await parsing_gateway()
    await ws.received_message(json.dumps({"op": 0, "t": "READY", "s": 1, "d": ready_data()}))
    for server in SERVERS:
        create = {"op": 0, "t": "GUILD_CREATE", "s": 2, "d": guild_payload(server)}
        await ws.received_message(json.dumps(create))
    cache = client._connection._messages
    assert cache is not None
    parsed = []
    cpu = time.process_time()
    for frame in frames:
        await ws.received_message(frame)
        parsed.append(cache[-1])
    cpu = time.process_time() - cpu
    return parsed, cpu


def _settings(folder: Path, args: argparse.Namespace) -> Settings:
    config = folder / "botschafter.toml"
    config.write_text(config_toml(args.seed), encoding="utf-8")
    return Settings(
        data_dir=folder / "data",
        config_file=config,
        database_url=args.database_url,
        _env_file=None,  # type: ignore[call-arg]
    )


def _verdict(figures: dict[str, Any]) -> dict[str, Any]:
    names = [server.name for server in SERVERS]
    throughput = min(figures[f"{n}_msgs_per_s"] for n in names)
    share = max(figures[f"{n}_bot_share_vs_parse"] for n in names)
    p99 = max(figures[f"{n}_paced_p99_ms"] for n in names)
    shed = sum(figures[f"{n}_paced_shed"] for n in names)
    return {
        "target_msgs_per_s": TARGET_MSGS_PER_S,
        "target_p99_ms": TARGET_P99_MS,
        "meets_throughput": throughput >= TARGET_MSGS_PER_S,
        "meets_share": share <= 1.0,
        "meets_latency": p99 <= TARGET_P99_MS and not shed,
    }


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline", description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000, help="throughput batch size")
    parser.add_argument("--shares", type=int, default=10_000, help="batch for the shares")
    parser.add_argument("--paced", type=int, default=10_000, help="messages sent at 1,000/s")
    parser.add_argument("--warm-up", type=int, default=_WARM_UP, help="messages before timing")
    parser.add_argument("--seed", type=int, default=15, help="traffic seed")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite")
    parser.add_argument("--quick", action="store_true", help="small batches, for a test")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in _QUICK.items():
            setattr(args, name, value)
    return args


def _report(f: dict[str, Any]) -> None:
    lines = [
        f"Pipeline: gateway frames → discord.py → adapter → dispatcher → moderation →"
        f" {f['backend']} → flag on the fake REST API; {f['breaking_share']:.0%} break a rule"
        f" (load average {f['load_average_at_start']} at start, {f['load_average_at_end']} at end)"
    ]
    for server in SERVERS:
        n = server.name

        def g(key: str, n: str = n) -> Any:
            return f[f"{n}_{key}"]

        lines += [
            f"  {n}:",
            f"    throughput: {g('msgs_per_s'):>8,} msg/s ({f['messages']:,} messages,"
            f" {g('flags')} flags; bot process {g('cpu_us_per_msg')} µs CPU per message)",
            f"    discord.py parse: {g('discordpy_parse_us_per_msg')} µs/msg;"
            f" the bot after it: {g('bot_us_per_msg')} µs/msg"
            f" ({g('bot_share_vs_parse')}x discord.py's parse)",
            f"      of which an ordinary message: {g('bot_us_per_ordinary_msg')} µs"
            f" ({g('ordinary_share_vs_parse')}x the parse); a flag: {g('bot_ms_per_flag')} ms,"
            f" in which discord.py's {g('requests_per_flag')} requests alone take"
            f" {g('discordpy_ms_per_flag_requests')} ms",
            f"    frame → flag at {f['paced_rate']:,.0f} msg/s: p50 {g('paced_p50_ms')} ms,"
            f" p99 {g('paced_p99_ms')} ms, max {g('paced_max_ms')} ms ({g('paced_flags')} flags;"
            f" {g('paced_shed')} messages shed, {g('paced_flags_missing')} flags missing)",
        ]
    verdicts = ", ".join(
        f"{what} {'met' if f[key] else 'MISSED'}"
        for what, key in (
            (f"≥ {TARGET_MSGS_PER_S:,} msg/s", "meets_throughput"),
            ("bot share ≤ discord.py parse", "meets_share"),
            (f"p99 ≤ {TARGET_P99_MS:g} ms", "meets_latency"),
        )
    )
    lines.append(f"  targets: {verdicts}")
    print("\n".join(lines))
    print(json.dumps(f, sort_keys=True))


if __name__ == "__main__":
    main()
    sys.exit(0)
