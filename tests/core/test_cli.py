"""The command line as a person uses it: terminal mode, scripts, migrate, --help."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot.app.cli import main


def run_bot(args: list[str], data: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "SLACK_", "BOTSCHAFTER_"))
    }
    environment["BOTSCHAFTER_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=data.parent,
        timeout=60,
        check=False,
    )


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "migrate", "config", "--script"):
        assert command in out


def test_the_terminal_community_continues_where_the_last_run_stopped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = run_bot([], data, stdin="as Ben\nhello everyone\n/about\nwait 1h\nquit\n")
    assert first.returncode == 0, first.stderr
    assert "local community “Botschafter Demo”" in first.stdout
    assert "[#general] 1 Ben: hello everyone" in first.stdout
    assert "Botschafter 0.1.0" in first.stdout
    assert "(1h pass; 0 scheduled job(s) ran)" in first.stdout

    second = run_bot([], data, stdin="show #general\n")
    assert second.returncode == 0, second.stderr
    assert "1 Ben: hello everyone" in second.stdout
    assert (data / "botschafter.db").exists()


def test_a_script_error_names_the_line_and_fails(tmp_path: Path) -> None:
    script = tmp_path / "session.txt"
    script.write_text("as Ben\nsay hi\nreact 99 👍\nsay never reached\n", encoding="utf-8")
    result = run_bot(["--script", str(script)], tmp_path / "data")
    assert result.returncode == 1
    assert "session.txt:3: there is no message 99" in result.stderr
    assert "never reached" not in result.stdout


def test_migrate_reports_an_up_to_date_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = run_bot(["migrate"], data)
    assert first.returncode == 0, first.stderr
    assert "applied 0001_core" in first.stdout
    assert first.stderr == ""  # said once, not again as a log line
    second = run_bot(["migrate"], data)
    assert "applied" not in second.stdout
    assert "is up to date" in second.stdout


def test_a_bad_setting_is_named_without_a_traceback_or_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOTSCHAFTER_LOG_LEVEL", "chatty")
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "MTIz.looks-like-a-token")
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert "BOTSCHAFTER_LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'" in err
    assert "DISCORD_APPLICATION_ID: " in err
    assert "looks-like-a-token" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize("order", ["before run", "after run"])
def test_script_may_be_given_before_or_after_run(tmp_path: Path, order: str) -> None:
    script = tmp_path / "session.txt"
    script.write_text("as Ben\nsay hi\n", encoding="utf-8")
    args = (
        ["--script", str(script), "run"]
        if order == "before run"
        else ["run", "--script", str(script)]
    )
    result = run_bot(args, tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "[#general] 1 Ben: hi" in result.stdout
    assert "local community" not in result.stdout  # the terminal did not open


def test_a_damaged_local_community_file_is_named_without_a_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "local-community.json").write_text('{"name": "half written"', encoding="utf-8")
    result = run_bot([], data, stdin="quit\n")
    assert result.returncode == 2
    assert "local-community.json: cannot continue the saved local community" in result.stderr
    assert "Move the file away to start afresh." in result.stderr
    assert "Traceback" not in result.stderr


def test_a_local_community_saved_by_an_older_version_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "local-community.json"
    community = LocalCommunity()
    community.add_member("Ben")
    community.record("general", "ben", "hello")
    community.save(path)
    state = json.loads(path.read_text(encoding="utf-8"))
    for key in ("saved_at", "timeouts", "banned"):
        del state[key]
    for message in state["messages"]:
        del message["pinged"], message["attachments"]
        message["added_later"] = True  # or saved by a newer one
    path.write_text(json.dumps(state), encoding="utf-8")
    loaded = LocalCommunity.load(path)
    assert [m.text for m in loaded.messages] == ["hello"]
    assert loaded.saved_at is None and loaded.messages[0].pinged == ()


def test_help_shows_examples_and_where_options_go(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "python -m bot --config my.toml config check" in out
    assert "Options such as --config and --database go before the command." in out
    with pytest.raises(SystemExit):
        main(["config", "check", "--help"])
    assert "BOTSCHAFTER_CONFIG" in capsys.readouterr().out


def test_ctrl_c_in_the_terminal_ends_at_once_and_keeps_the_state(tmp_path: Path) -> None:
    data = tmp_path / "data"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    environment["BOTSCHAFTER_DATA_DIR"] = str(data)
    controller, terminal_side = pty.openpty()  # a real terminal, as a person has
    terminal = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        stdin=terminal_side,
        stdout=terminal_side,
        stderr=terminal_side,
        env=environment,
        cwd=tmp_path,
    )
    os.close(terminal_side)
    try:
        os.write(controller, b"hello before ctrl-c\n")
        state = data / "local-community.json"
        deadline = time.monotonic() + 30
        while not state.exists() and time.monotonic() < deadline:
            _drain(controller)
        terminal.send_signal(signal.SIGINT)
        try:
            terminal.wait(timeout=10)
        except subprocess.TimeoutExpired:
            terminal.kill()
            pytest.fail("the terminal waited for Enter after Ctrl-C")
    finally:
        os.close(controller)
    assert terminal.returncode == 130
    assert "hello before ctrl-c" in state.read_text(encoding="utf-8")


def _drain(fd: int) -> None:
    """Read what the bot printed, so it never blocks on a full terminal buffer."""
    ready, _, _ = select.select([fd], [], [], 0.05)
    if ready:
        with contextlib.suppress(OSError):
            os.read(fd, 65536)
