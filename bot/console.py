"""The interactive local community in the terminal."""

from __future__ import annotations

import asyncio

from bot.local_session import LocalSession
from bot.script import Interpreter, ScriptError
from bot.settings import Settings

BANNER = """\
Botschafter — local community “{name}” (no Discord or Slack tokens configured).
You are {actor} in #{channel}. Type a message to post it, /help for bot commands,
help for console instructions, quit to leave. State is kept in {data}.
Members: {members}
"""


async def run_console(settings: Settings) -> int:
    session = await LocalSession.open(settings, persist=True)
    interpreter = Interpreter(session)
    community = session.community
    scheduler = asyncio.create_task(session.app.services.scheduler.run_forever())
    print(
        BANNER.format(
            name=community.name,
            actor=interpreter.actor,
            channel=interpreter.channel,
            data=settings.data_dir,
            members=", ".join(m.name for m in community.members.values()),
        )
    )
    shown = len(community.transcript)
    try:
        while True:
            line = await asyncio.to_thread(_prompt, interpreter)
            if line is None or line.strip() in ("quit", "exit"):
                break
            text = line.strip()
            if text and not text.startswith("/") and not _is_instruction(text):
                text = f"say {text}"
            try:
                extra = await interpreter.execute(text)
            except ScriptError as error:
                extra = [f"! {error}"]
            for entry in [*community.transcript[shown:], *extra]:
                print(entry)
            shown = len(community.transcript)
            session.save()
    finally:
        session.app.services.scheduler.stop()
        await scheduler
        await session.close()
    return 0


def _prompt(interpreter: Interpreter) -> str | None:
    try:
        return input(f"{interpreter.actor} #{interpreter.channel}> ")
    except EOFError:
        return None


def _is_instruction(text: str) -> bool:
    keyword = text.split(" ", 1)[0].lower()
    return hasattr(Interpreter, f"_do_{keyword}")
