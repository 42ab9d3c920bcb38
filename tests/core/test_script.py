"""The script language: mistakes are named so the person typing can fix them."""

from __future__ import annotations

import pytest

from bot.local_session import LocalSession
from bot.script import Interpreter, ScriptError


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
