"""``python -m bot privacy export|forget``: a member's records, and erasing them.

The community is built by a scripted session in which Jonas does a bit of everything: joins
in a join wave, accepts the rules, gives and gets kudos, posts a flagged message (a
moderator warns him and notes something about him; he appeals), posts one Ben reports,
reports a message, opens a ticket others vote on, votes on Ben's ticket and asks for
erasure. After `forget`, no column of any table holds his id, his name or a text he wrote
(or a text written about him), while every table keeps its rows.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from bot.app import privacy as cli
from bot.app.cli import main
from bot.app.runner import run_script
from bot.settings import Settings
from storage import copy, privacy
from storage.database import Database

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

JONAS_TEXTS = (
    "what the d.a.r.n is going on @everyone",
    "explained the release notes so patiently",
    "the warm hello in #general",
    "It is spam about refunds",
    "Please let me export my playlists as CSV files",
    "Nobody ever answers in this channel",
    "Shouting at everyone again",  # Ben's report about him
    "Promised to tone it down after the warning",  # a moderator's note about him
    "I was quoting a song title, not swearing at anyone",
)

COMMUNITY = """\
join W1
join W2
join Jonas locale=de
join W3
join W4
as Jonas
press 3 Ich akzeptiere die Regeln
/kudos give @Ben for explained the release notes so patiently
as Ben
/kudos give @Jonas for the warm hello in #general
as Jonas
say what the d.a.r.n is going on @everyone
as Mo
react flag:1 ⚠️
/note @Jonas Promised to tone it down after the warning
as Jonas
/appeal 1 I was quoting a song title, not swearing at anyone
as Ben
say please send me a refund now
as Jonas
action last:#general:Ben Report message
submit reason=It is spam about refunds
say Nobody ever answers in this channel
as Ben
action last:#general:Jonas Report message
submit reason=Shouting at everyone again
as Jonas
/ticket open "Playlist export" details:"Please let me export my playlists as CSV files" category:app
as Ben
react ticket:1 👍
/ticket open "Dark mode for the app" details:"The white background hurts at night." category:app
as Jonas
react ticket:2 👍
as Amy
/ticket claim #1
/ticket update #1 Talked to the app team about the export.
/ticket resolve #1 Playlists can be exported from version 2.5.
as Jonas
/privacy request erase
"""


@pytest.fixture
async def community(settings: Settings, tmp_path: Path) -> Settings:
    settings.config_file = EXAMPLES / "botschafter.toml"
    script = tmp_path / "community.script"
    script.write_text(COMMUNITY, encoding="utf-8")
    transcript = io.StringIO()
    assert await run_script(script, settings, transcript) == 0, transcript.getvalue()
    return settings


async def opened(settings: Settings) -> Database:
    return await Database.open(settings.database_location)


def args(member: str, **extra: object) -> argparse.Namespace:
    defaults: dict[str, object] = {"community": None, "out": None, "yes": True}
    return argparse.Namespace(member=member, **{**defaults, **extra})


async def test_export_names_every_kind_of_record_with_the_members_rows(
    community: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli.run_export(args("<@jonas>"), community) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["member"] == "jonas"
    [(key, sections)] = document["communities"].items()
    assert key.startswith("local:")
    assert set(sections) == {entry.name for entry in privacy.REGISTRY}
    filled = {name for name, section in sections.items() if section["rows"]}
    assert filled >= {
        "welcome_members",
        "welcome_wave_members",
        "kudos",
        "moderation_flags",
        "flagged_messages",
        "rule_matches",
        "reports_about_member",
        "moderation_reports",
        "moderation_infractions",
        "moderation_notes",
        "moderation_appeals",
        "tickets",
        "history_of_their_tickets",
        "ticket_history",
        "ticket_votes",
        "ticket_watchers",
        "audit_log",
        "reaction_marks",
        "privacy_requests",
    }
    text = json.dumps(sections)
    for written in JONAS_TEXTS:
        assert written in text
    # Who reported Jonas is someone else's data: the export shows the report, not Ben.
    about = sections["reports_about_member"]["rows"]
    assert about and all("reporter_id" not in row for row in about)
    assert sections["welcome_members"]["rows"][0]["accepted_at"]


async def test_an_unknown_member_is_named_with_how_to_find_an_id(
    community: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli.run_export(args("<@nobody>"), community) == 1
    err = capsys.readouterr().err
    assert "No records about member 'nobody' in any community" in err
    assert "Copy User ID" in err
    assert await cli.run_export(args("jonas", community="discord:1"), community) == 1


async def test_export_to_a_file_is_readable_by_the_operator_only(
    community: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "jonas.json"
    assert await cli.run_export(args("jonas", out=out), community) == 0
    assert "record(s) about jonas in 1 community" in capsys.readouterr().out
    assert out.stat().st_mode & 0o077 == 0
    assert json.loads(out.read_text(encoding="utf-8"))["member"] == "jonas"
    missing = tmp_path / "no-such-folder" / "jonas.json"
    assert await cli.run_export(args("jonas", out=missing), community) == 2
    assert "cannot write the export: No such file or directory" in capsys.readouterr().err


async def everything(db: Database) -> dict[str, list[tuple[object, ...]]]:
    found = {}
    for table in await copy.tables(db):
        rows = await db.fetch_all(f"SELECT * FROM {table.name}")
        found[table.name] = [tuple(row[column] for column in table.columns) for row in rows]
    return found


async def test_forget_leaves_no_trace_of_the_member_while_counts_and_audit_hold(
    community: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    db = await opened(community)
    try:
        before = await everything(db)
        votes_before = await db.fetch_all("SELECT number, vote_count FROM tickets ORDER BY number")
    finally:
        await db.close()
    assert "jonas" in json.dumps(before, default=str)

    assert await cli.run_forget(args("jonas"), community) == 0
    out = capsys.readouterr().out
    assert "Forgotten in local:" in out and "jonas is now forgotten-" in out

    db = await opened(community)
    try:
        after = await everything(db)
        votes_after = await db.fetch_all("SELECT number, vote_count FROM tickets ORDER BY number")
        [entry] = await db.fetch_all(
            "SELECT actor_id, subject, details FROM audit_log WHERE action = 'privacy.forget'"
        )
    finally:
        await db.close()
    dumped = json.dumps(after, default=str, ensure_ascii=False)
    for trace in ("jonas", "Jonas", *JONAS_TEXTS):
        assert trace.casefold() not in dumped.casefold(), trace
    assert {t: len(rows) for t, rows in after.items()} == {
        t: len(rows) + (t == "audit_log") for t, rows in before.items()
    }
    assert [tuple(r) for r in votes_after] == [tuple(r) for r in votes_before]
    assert entry["actor_id"] == "cli" and entry["subject"].startswith("forgotten-")
    assert json.loads(entry["details"])["rows"] > 0

    assert await cli.run_forget(args("jonas"), community) == 0
    assert "Nothing left to forget" in capsys.readouterr().out


async def test_forget_asks_first_and_changes_nothing_without_a_yes(
    community: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    assert await cli.run_forget(args("jonas", yes=False), community) == 1
    out = capsys.readouterr().out
    assert "Type yes to forget them" in out and "Nothing changed." in out
    db = await opened(community)
    try:
        assert await privacy.communities_of(db, "jonas")
    finally:
        await db.close()


def test_the_command_line_names_the_privacy_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["privacy", "--help"])
    out = capsys.readouterr().out
    assert "export" in out and "forget" in out


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("123", "123"),
        ("<@123>", "123"),
        ("<@!123>", "123"),
        ("<@U0ABC|ben>", "U0ABC"),
        ("@ben", "ben"),
    ],
)
def test_a_member_is_named_as_an_admin_would_paste_them(given: str, expected: str) -> None:
    assert cli.member_id(given) == expected


def test_the_sweep_replaces_whole_ids_and_names_and_keeps_json_json() -> None:
    replace = privacy._Replacer("12", "forgotten-x", ["Bo", "Jonas"], ["hi", "a long text"])
    # Plain text is someone else's words: only the id as a mention or a key's part goes.
    assert replace("ticket 3124 by <@12>, said a long text") == (
        "ticket 3124 by <@forgotten-x>, said a long text"
    )
    assert replace("user:12") == "user:forgotten-x" and replace("12") == "forgotten-x"
    assert replace("Jonas and 12 more") == "Jonas and 12 more"
    said = json.dumps({"text": "Bo and Jonas say hi, a long text, a long textbook"})
    assert json.loads(replace(said)) == {"text": "Bo and forgotten-x say hi, , a long textbook"}
    stored = json.dumps({"user": "12", "name": "Bo", "text": "hi", "n": 12})
    assert json.loads(replace(stored)) == {
        "user": "forgotten-x",
        "name": "forgotten-x",
        "text": "",
        "n": 12,
    }


COMMON_NAMES = """\
join Anna
join Max
as Anna
/kudos give @Max for the great work
as Max
/kudos give @Anna for the great work on the FAQ
/ticket open "Ask anna about max upload size" details:"Thanks for the great work, Anna" category:app
as Anna
/ticket open "Open the archive" details:"open" category:app
"""


async def test_forgetting_a_common_name_leaves_other_members_words_and_statuses_alone(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.config_file = EXAMPLES / "botschafter.toml"
    script = tmp_path / "names.script"
    script.write_text(COMMON_NAMES, encoding="utf-8")
    transcript = io.StringIO()
    assert await run_script(script, settings, transcript) == 0, transcript.getvalue()

    assert await cli.run_forget(args("anna"), settings) == 0
    db = await opened(settings)
    try:
        tickets = await db.fetch_all("SELECT title, details, status FROM tickets ORDER BY number")
        reasons = await db.fetch_all("SELECT reason FROM kudos ORDER BY id")
    finally:
        await db.close()
    assert [tuple(row) for row in tickets] == [
        ("Ask anna about max upload size", "Thanks for the great work, Anna", "open"),
        ("Open the archive", "", "open"),  # her own details are blanked, her title stays
    ]
    assert [row["reason"] for row in reasons] == ["", ""]  # given and received: about her


@pytest.mark.parametrize("given", ["", "  ", "@"])
async def test_an_empty_member_is_refused_and_nothing_is_forgotten(
    community: Settings, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    db = await opened(community)
    try:
        before = await everything(db)
    finally:
        await db.close()
    assert await cli.run_forget(args(given), community) == 2
    assert await cli.run_export(args(given), community) == 2
    assert "No member given." in capsys.readouterr().err
    db = await opened(community)
    try:
        assert await everything(db) == before
    finally:
        await db.close()
