"""Scripts name the bot's messages by what they are, so they survive a different order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.app.script import Interpreter, ScriptError
from bot.clock import VirtualClock
from bot.settings import Settings


async def test_a_script_reacts_on_a_tickets_tracker_by_the_tickets_number(
    session: LocalSession,
) -> None:
    interpreter = Interpreter(session, actor="Ben")
    await interpreter.execute('/ticket open "Dark mode"')
    await interpreter.execute("/ticket show #1")  # a private reply that starts alike
    interpreter.actor = "Amy"
    await interpreter.execute("react ticket:1 👍")
    tracker = next(m for m in session.community.messages if m.text.startswith("**Ticket #1:**"))
    assert "amy" in tracker.reactions["👍"]
    assert tracker.private_to is None


async def test_last_names_a_members_latest_message_in_a_channel(session: LocalSession) -> None:
    interpreter = Interpreter(session, actor="Ben")
    await interpreter.execute("say first")
    await interpreter.execute("say second")
    interpreter.actor = "Mo"
    await interpreter.execute("say not Ben's")
    await interpreter.execute("react last:#general:Ben 👀")
    second = next(m for m in session.community.messages if m.text == "second")
    assert second.reactions == {"👀": ["mo"]}


async def test_a_reference_to_nothing_is_a_polite_error(session: LocalSession) -> None:
    interpreter = Interpreter(session)
    with pytest.raises(ScriptError, match="there is no message flag:9"):
        await interpreter.execute("react flag:9 ✅")
    with pytest.raises(ScriptError, match="names no message; write a number or one of"):
        await interpreter.execute("react newest:#general ✅")
    assert session.community.messages == []


async def test_a_saved_community_keeps_an_open_form_so_it_can_be_submitted_later(
    session: LocalSession, tmp_path: Path
) -> None:
    interpreter = Interpreter(session, actor="Ben")
    await interpreter.execute("say something rude")
    interpreter.actor = "Amy"
    await interpreter.execute("action last:#general:Ben Report message")
    path = tmp_path / "community.json"
    session.community.save(path)
    loaded = LocalCommunity.load(path)
    assert loaded.open_forms == session.community.open_forms != {}
    assert loaded.roles == session.community.roles


@pytest.mark.parametrize("locale", ["pl", "nl", "pt"])
async def test_references_find_the_bots_posts_in_a_community_that_speaks_another_language(
    locale: str, settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config(f'[community]\nname = "Demo"\nlocale = "{locale}"\n')
    community = LocalCommunity()
    for name, roles in (("Alice", ("Admins",)), ("Mo", ("Moderators",)), ("Ben", ())):
        community.add_member(name, roles=roles)
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        interpreter = Interpreter(session, actor="Ben")
        await interpreter.execute('/ticket open "Dark mode"')
        await interpreter.execute("say something rude")
        interpreter.actor = "Alice"
        await interpreter.execute("action last:#general:Ben Report message")
        await interpreter.execute("submit reason=rude")
        interpreter.actor = "Mo"
        await interpreter.execute("react ticket:1 👍")
        await interpreter.execute("react flag:1 👀")
    finally:
        await session.app.close()
    headings = {m.text.split("\n")[0]: m.reactions for m in community.messages if m.reactions}
    flag = session.app.services.i18n.text("flag.title", locale, number=1, author="Ben", channel="")
    flag_heading = next(h for h in headings if h.startswith(flag.split(" · ")[0]))
    assert headings[flag_heading]["👀"] == ["mo"]
    assert headings["**Ticket #1:** Dark mode"] == {"👍": ["mo"]}
