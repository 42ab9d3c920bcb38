"""A damaged, foreign, missing or busy data folder: one line that says what to do, exit 2.

Before, a damaged database printed a traceback and then hung (the SQLite worker thread
kept the process alive); a second bot on the same folder started and later overwrote the
first one's state; an export with a mistyped --data-dir created an empty database.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.database import Database, DatabaseMissing, DatabaseUnusable
from tests.core.test_cli import run_bot

# Every command that opens the database, each as a person would type it.
OPENING_COMMANDS = [
    pytest.param([], id="terminal"),
    pytest.param(["migrate"], id="migrate"),
    pytest.param(["export", "tickets"], id="export"),
]


def damaged(data: Path) -> None:
    assert run_bot(["migrate"], data).returncode == 0
    os.truncate(data / "botschafter.db", 5000)  # as `truncate -s 5000` leaves it


def text_file(data: Path) -> None:
    data.mkdir()
    (data / "botschafter.db").write_text("not a database, just notes\n", encoding="utf-8")


@pytest.mark.parametrize("command", OPENING_COMMANDS)
@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (damaged, "the database is damaged (disk image is malformed)"),
        (text_file, "this is not a SQLite database (or it is encrypted)"),
    ],
    ids=["truncated", "text file"],
)
def test_an_unreadable_database_is_one_line_and_exit_2_at_once(
    tmp_path: Path, command: list[str], spoil: object, problem: str
) -> None:
    data = tmp_path / "data"
    spoil(data)  # type: ignore[operator]
    started = time.monotonic()
    result = run_bot(command, data, stdin="quit\n")
    assert time.monotonic() - started < 20  # it used to hang here for ever
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{data / 'botschafter.db'}: {problem}. Restore it from a backup, or move it aside to "
        "start with an empty database."
    ]


@pytest.mark.parametrize(
    "command", [*OPENING_COMMANDS, pytest.param(["--script", "x"], id="script")]
)
def test_a_data_dir_that_is_a_file_is_one_line_and_exit_2(
    tmp_path: Path, command: list[str]
) -> None:
    data = tmp_path / "data"
    data.write_text("oops\n", encoding="utf-8")
    result = run_bot(command, data, stdin="quit\n")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{data}: is a file, not a folder")
    assert data.read_text(encoding="utf-8") == "oops\n"


def test_export_with_a_mistyped_data_dir_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "dta"
    result = run_bot(["export", "tickets"], data)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{data / 'botschafter.db'}: no database here")
    assert "Traceback" not in result.stderr
    assert not data.exists()


def test_export_of_an_unknown_community_lists_the_known_ones(tmp_path: Path) -> None:
    data = tmp_path / "data"
    script = tmp_path / "ticket.script"
    script.write_text('as Ben\n/ticket open "Dark mode" details:"Please."\n', encoding="utf-8")
    assert run_bot(["--script", str(script)], data).returncode == 0
    output = tmp_path / "tickets.csv"
    result = run_bot(["export", "tickets", "--community", "local:dmeo", "-o", str(output)], data)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "No tickets for community local:dmeo. Communities with tickets: local:demo."
    ]
    assert not output.exists()
    known = run_bot(["export", "tickets", "--community", "local:demo"], data)
    assert known.returncode == 0 and "Dark mode" in known.stdout


async def test_opening_for_reading_creates_nothing_and_refuses_an_empty_file(
    tmp_path: Path,
) -> None:
    with pytest.raises(DatabaseMissing):
        await Database.open(tmp_path / "missing.db", create=False, migrate=False)
    assert files(tmp_path) == []
    touch(tmp_path / "empty.db")
    with pytest.raises(DatabaseUnusable, match=r"not a Botschafter database \(it is empty\)"):
        await Database.open(tmp_path / "empty.db", create=False, migrate=False)


async def test_reading_an_out_of_date_database_says_to_migrate_first(
    database_target: str | Path,
) -> None:
    path = database_target
    db = await Database.open(path)
    await db.execute("DELETE FROM schema_migrations WHERE version = 1")
    await db.close()
    with pytest.raises(DatabaseUnusable, match="Run `python -m bot migrate`"):
        await Database.open(path, create=False, migrate=False)


def files(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def touch(path: Path) -> None:
    path.touch()


async def test_another_programs_database_is_refused_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "recipes.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY)")
    connection.close()
    with pytest.raises(DatabaseUnusable, match="not a Botschafter database"):
        await Database.open(path)
    with sqlite3.connect(path) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
    connection.close()
    assert tables == ["recipes"]  # nothing of ours mixed in


def start_terminal(data: Path) -> subprocess.Popen[str]:
    """A bot in terminal mode that keeps running until its stdin closes."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "SLACK_", "BOTSCHAFTER_"))
    }
    environment["BOTSCHAFTER_DATA_DIR"] = str(data)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=data.parent,
    )
    deadline = time.monotonic() + 30
    while not (data / "botschafter.db-wal").exists():  # the database is open: it holds the lock
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the first bot did not start"
        time.sleep(0.05)
    return process


def test_a_second_bot_on_the_same_data_folder_refuses_naming_the_first(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_terminal(data)
    try:
        second = run_bot([], data, stdin="as Ben\nhello from the second\nquit\n")
        assert second.returncode == 2
        [line] = second.stderr.splitlines()
        assert line.startswith(f"{data}: another Botschafter process is using this data ")
        assert f"(PID {first.pid} on {socket.gethostname()}, started 20" in line
        assert "Stop it first, or give this one its own --data-dir." in line
        assert run_bot(["migrate"], data).returncode == 2  # nor migrate under it

        # Commands that only read work beside it.
        assert run_bot(["export", "tickets"], data).returncode == 0
        assert run_bot(["config", "check"], data).returncode == 0
    finally:
        assert first.stdin is not None
        first.stdin.close()
        assert first.wait(timeout=30) == 0
    assert "hello from the second" not in (data / "local-community.json").read_text("utf-8")


def test_a_killed_bot_leaves_no_stale_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_terminal(data)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    result = run_bot([], data, stdin="quit\n")
    assert result.returncode == 0, result.stderr


def test_the_same_database_under_another_data_dir_is_refused_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_terminal(data)
    try:
        database = str(data / "botschafter.db")
        second = run_bot(["--database", database], tmp_path / "elsewhere", stdin="quit\n")
        assert second.returncode == 2
        assert f"(PID {first.pid} on" in second.stderr
    finally:
        assert first.stdin is not None
        first.stdin.close()
        first.wait(timeout=30)
