"""Notes on members, appeals, /audit and the moderation exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot.app.cli import build_parser
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from cogs.moderation.export import run_export, write_export

CONFIG = """
[moderation.quorum]
ban = 2
"""


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: object
) -> AsyncIterator[LocalSession]:
    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Max", roles=("Moderators",))
    community.add_member("Ada", roles=("Moderators",))
    community.add_member("Ben")
    community.add_member("Zoe", locale="de")
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


async def test_a_note_shows_on_flags_and_in_infractions_for_moderators_only(
    session: LocalSession,
) -> None:
    c = session.community
    mo, zoe = c.member("Mo"), c.member("Zoe")
    await c.run(mo, "/ban @zoe spam wave")  # an open ban proposal: a flag about Zoe
    flag = c.read("#moderators")[-1]
    await c.run(mo, "/note @zoe was asked in DMs on Monday to stop @everyone")
    assert "Note #1 about Zoe saved" in c.last_private(mo)
    assert "Moderators' notes (1)" in flag.text and "was asked in DMs on Monday" in flag.text
    await c.run(c.member("Max"), "/infractions @zoe")
    record = c.last_private(c.member("Max"))
    assert "Note #1" in record and "Mo: was asked in DMs on Monday" in record
    assert all("Monday" not in m.text for m in c.direct_messages(zoe))
    assert all("everyone" not in p for m in c.messages for p in m.pinged)
    await c.run(mo, "/note @zoe")
    assert "needs some text" in c.last_private(mo) or "missing" in c.last_private(mo).lower()


async def test_an_appeal_goes_to_the_desk_once_and_is_decided_by_another_moderator(
    session: LocalSession,
) -> None:
    c = session.community
    mo, max_, zoe = c.member("Mo"), c.member("Max"), c.member("Zoe")
    await c.run(mo, "/warn @zoe rude to newcomers")
    await c.run(zoe, "/appeal")
    assert "#1 · Verwarnung" in c.last_private(zoe)
    await c.run(zoe, "/appeal 1 I was quoting someone else")
    assert "Einspruch #1" in c.last_private(zoe)
    item = c.read("#moderators")[-1]
    assert "Appeal #1** · Zoe" in item.text and "I was quoting someone else" in item.text
    assert set(item.reactions) == {"✅", "↩️"}
    # Once per infraction.
    await c.run(zoe, "/appeal 1 please")
    assert "schon Einspruch erhoben" in c.last_private(zoe)
    assert len([m for m in c.read("#moderators") if "Appeal #" in m.text]) == 1
    # A member's reaction decides nothing and is taken off.
    await c.react(c.member("Ben"), item.number, "↩️")
    assert "ben" not in item.reactions.get("↩️", []) and "Open" in item.text
    # The moderator who acted cannot decide alone.
    await c.react(mo, item.number, "↩️")
    assert "another moderator decides with you" in c.direct_messages(mo)[-1].text
    assert "Open" in item.text
    await c.react(max_, item.number, "↩️")
    assert "Lifted" in item.text or "lifted" in item.text
    assert "stattgegeben" in c.direct_messages(zoe)[-1].text
    await c.run(mo, "/infractions @zoe")
    assert "pardoned by Max" in c.last_private(mo)
    # A late reaction is answered privately, not on the desk.
    desk = list(c.read("#moderators"))
    await c.react(c.member("Ada"), item.number, "✅")
    assert "was decided already" in c.direct_messages(c.member("Ada"))[-1].text
    assert c.read("#moderators") == desk


async def test_an_appeal_refuses_what_is_not_the_members_own(session: LocalSession) -> None:
    c = session.community
    await c.run(c.member("Mo"), "/warn @ben spam")
    zoe = c.member("Zoe")
    await c.run(zoe, "/appeal 1 not me")
    assert "keinen Verstoß #1" in c.last_private(zoe)
    await c.run(zoe, "/appeal")
    assert "keine Verstöße" in c.last_private(zoe)
    ben = c.member("Ben")
    await c.run(ben, "/appeal 1")
    assert "why they should look again" in c.last_private(ben)
    await c.run(c.member("Mo"), "/appeals decide 1 lift")
    assert "no appeal #1" in c.last_private(c.member("Mo"))
    await c.run(ben, "/appeals decide 1 lift")
    assert "only members with the moderator role" in c.last_private(ben)


async def test_an_upheld_appeal_is_told_and_recorded(session: LocalSession) -> None:
    c = session.community
    await c.run(c.member("Mo"), "/warn @ben spam")
    ben = c.member("Ben")
    await c.run(ben, "/appeal 1 it was a joke")
    max_ = c.member("Max")
    await c.run(max_, "/appeals decide 1 uphold jokes count too")
    assert "upheld" in c.last_private(max_) and "told by direct message" in c.last_private(max_)
    notice = c.direct_messages(ben)[-1].text
    assert "upheld it" in notice and "jokes count too" in notice
    await c.run(max_, "/audit action:appeal_upheld")
    assert "appeal rejected, infraction upheld · Ben · appeal #1" in c.last_private(max_)


async def test_audit_names_actions_in_the_moderators_language_and_filters_by_that_name(
    session: LocalSession,
) -> None:
    c = session.community
    jan = c.add_member("Jan", roles=("Moderators",), locale="de")
    await c.run(c.member("Mo"), "/warn @ben spam")
    await c.run(c.member("Mo"), "/note @ben watch him")
    await c.run(jan, "/audit")
    log = c.last_private(jan)
    assert "Mo · verwarnt · Ben · Meldung #1" in log and "Mo · Notiz angelegt · Ben" in log
    assert " warn " not in log and " note " not in log
    await c.run(jan, "/audit action:Verwarnt")
    assert "verwarnt" in c.last_private(jan) and "Notiz" not in c.last_private(jan)


async def test_audit_filters_by_member_moderator_and_action_and_pages(
    session: LocalSession,
) -> None:
    c = session.community
    mo, max_ = c.member("Mo"), c.member("Max")
    for n in range(12):
        await c.run(mo, f"/warn @ben spam {n}")
    await c.run(max_, "/warn @zoe rude")
    await c.run(max_, "/audit")
    first = c.last_private(max_)
    assert "Moderation log: 13 entries** (page 1 of 2)" in first
    assert "Max · warned · Zoe · flag #" in first and first.count("\n#") == 10
    assert "/audit page:2" in first
    await c.run(max_, "/audit page:2")
    assert "(page 2 of 2)" in c.last_private(max_) and "spam 0" in c.last_private(max_)
    await c.run(max_, "/audit member:@zoe")
    assert "Moderation log: 1 entry** (page 1 of 1)" in c.last_private(max_)
    assert "Ben" not in c.last_private(max_)
    await c.run(max_, "/audit moderator:@max action:warn")
    assert "Zoe" in c.last_private(max_) and "Ben" not in c.last_private(max_)
    await c.run(max_, "/audit action:ban")
    assert "Nothing in the moderation log matches" in c.last_private(max_)


async def test_exports_write_flags_infractions_and_audit_as_csv_and_json(
    session: LocalSession, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = session.community
    await c.run(c.member("Mo"), "/warn @zoe =HYPERLINK(evil)")
    await c.run(c.member("Mo"), "/ban @ben spam")
    await c.run(c.member("Max"), "/ban @ben spam")
    db = session.app.services.db
    out = io.StringIO()
    assert await write_export(db, "infractions", out, "json") == 2
    rows = json.loads(out.getvalue())
    assert [(r["kind"], r["moderators"]) for r in rows] == [("warn", "mo"), ("ban", "max mo")]
    out = io.StringIO()
    assert await write_export(db, "infractions", out, "csv") == 2
    [warn, _] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert warn["reason"] == "'=HYPERLINK(evil)"
    out = io.StringIO()
    assert await write_export(db, "flags", out, "csv") == 2
    out = io.StringIO()
    await write_export(db, "audit", out, "json", c.community.key)
    assert "moderation.ban" in [r["action"] for r in json.loads(out.getvalue())]
    target = tmp_path / "audit.csv"
    args = build_parser().parse_args(["export", "audit", "-o", str(target)])
    assert args.handler is run_export
    assert await run_export(args, settings) == 0
    assert "Exported" in capsys.readouterr().err and "moderation.warn" in target.read_text()
