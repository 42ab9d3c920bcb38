"""The script language: mistakes are named so the person typing can fix them."""

from __future__ import annotations

import pytest

from bot.app.local_session import LocalSession
from bot.app.script import Interpreter, ScriptError


async def test_pressing_a_missing_button_names_the_buttons_there_are(
    session: LocalSession,
) -> None:
    interpreter = Interpreter(session)
    await session.community.post(session.community.member("Ben"), "general", "no buttons")
    with pytest.raises(ScriptError) as error:
        await interpreter.execute("press 1 Accept")
    assert str(error.value) == "message 1 has no button “Accept”; its buttons: none"


async def test_an_unknown_member_lists_the_members(session: LocalSession) -> None:
    interpreter = Interpreter(session)
    with pytest.raises(ScriptError) as error:
        await interpreter.execute("as Nobody")
    assert str(error.value) == "no member named “Nobody”; members: Alice, Mo, Amy, Ben"


async def test_nobody_can_react_to_or_press_on_a_deleted_message(session: LocalSession) -> None:
    c = session.community
    posted = await c.post(c.member("Ben"), "general", "soon gone")
    platform = session.app.services.platform(c.community)
    await platform.delete(c.message_ref(posted))
    interpreter = Interpreter(session)
    for line in ("react 1 👍", "press 1 Yes", "action 1 Report message"):
        with pytest.raises(ScriptError, match="message 1 was deleted"):
            await interpreter.execute(line)
    assert posted.reactions == {}
