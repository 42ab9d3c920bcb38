"""Every ``python -m bot ...`` command shown in --help, README.md and docs/*.md runs as shown.

Each runs in a fresh folder (with an up-to-date database in ./data and the files the docs
name, as a reader following the docs would have them), with no platform tokens and no
network. A command exits 0 unless the docs say otherwise; none prints a traceback, and one
that fails says why in a line of its own. Synopses (``[--guild ID]``, ``csv|json``) are
descriptions of a command, not commands, and are left out.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
# The tour, the longest example, replays in a few seconds; a minute means it hangs.
TIMEOUT_SECONDS = 60

# A command as the docs and --help write it: optional VAR=value prefixes, then
# ``python -m bot`` and its arguments, up to the end of the code span or line (in --help,
# two spaces start the explanation).
_COMMAND = re.compile(
    r"(?:^|(?<=[`\s$]))((?:[A-Z_]+=\S+ )*python -m bot(?: [^`\n]*?)?)(?=`|  |$)", re.M
)
_SYNOPSIS = re.compile(r"\[|\||\bFILE\b|\bKEY\b|\bID\b|\.\.\.$")

# Exit codes the docs give for commands that do not succeed without a platform token or
# by design; everything else exits 0.
EXPECTED = {
    "python -m bot --script": 2,  # prose naming the option; argparse asks for the file
    "BOTSCHAFTER_LOG_LEVEL=chatty python -m bot": 2,  # the bad-setting example
    "python -m bot discord invite": 2,  # needs DISCORD_APPLICATION_ID or DISCORD_TOKEN
    "python -m bot discord sync": 2,  # needs DISCORD_TOKEN
    "python -m bot discord automod sync": 2,  # needs DISCORD_TOKEN
    "python -m bot discord automod sync automod.json": 2,  # needs DISCORD_TOKEN
    "python -m bot --config botschafter.toml discord automod sync"
    " --alert-channel 1234567890123456789": 2,  # needs DISCORD_TOKEN
    "python -m bot slack check": 2,  # needs SLACK_BOT_TOKEN
    "python -m bot rules": 2,  # a heading naming the group: it prints its commands
    "python -m bot rules check bad.toml": 1,  # the example of a file with problems
    # The PostgreSQL server the docs name is not there (see the test below).
    "python -m bot db copy --to postgresql://bot@db.example.org/botschafter": 2,
    "python -m bot db copy --to postgresql://bot@db.example.org/botschafter --replace": 2,
    'python -m bot rules test --config botschafter.toml --json "Scunthorpe heckler"': 1,
    # docs/privacy.md and --help: an export that finds no such member (a fresh database).
    "python -m bot privacy export 123456789012345678": 1,
    'python -m bot privacy export "<@jonas>" --out jonas.json': 1,
    "python -m bot privacy export jonas --community local:demo --out privacy-1.json": 1,
    # docs/operations.md: refusals shown as examples; a restore without --yes and without a
    # terminal to ask on refuses too.
    "python -m bot backup backups/botschafter.db": 2,
    "DATABASE_URL=postgresql://bot:secret@db.example.org/botschafter"
    " python -m bot backup botschafter-2026-01-05.db": 2,
    "python -m bot restore botschafter-2026-01-05.db": 2,
    "python -m bot restore notes.txt --yes": 2,
    "python -m bot restore future.db --yes": 2,
}

# Files the docs' commands name, as a reader has them: the example configuration, and a
# short script where a page shows one of its own.
BAD_RULES = """\
[[moderation.rules]]
name = "oops"
type = "nope"
"""
SCRIPT = "as Ben\nsay hello\n"


def documented_commands() -> list[str]:
    texts = [
        path.read_text(encoding="utf-8")
        for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    ]
    texts.extend(_help_texts(build_parser()))
    found: dict[str, None] = {}
    for text in texts:
        for match in _COMMAND.finditer(text):
            command = match.group(1).strip()
            if not _SYNOPSIS.search(command):
                found.setdefault(command)
    return list(found)


def _help_texts(parser: argparse.ArgumentParser) -> list[str]:
    texts = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                texts.extend(_help_texts(sub))
    return texts


@pytest.fixture(scope="module")
def reader_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reader")
    shutil.copytree(ROOT / "docs" / "examples", folder / "docs" / "examples")
    shutil.copy(ROOT / "docs" / "examples" / "botschafter.toml", folder / "botschafter.toml")
    (folder / "bad.toml").write_text(BAD_RULES, encoding="utf-8")
    for name in ("session.txt", "tickets.txt", "welcome.script", "raid.script"):
        (folder / name).write_text(SCRIPT, encoding="utf-8")
    assert _run("python -m bot migrate", folder).returncode == 0
    return folder


def test_the_docs_and_help_show_commands_to_check() -> None:
    commands = documented_commands()
    assert "python -m bot --config my.toml config check" in commands  # from --help
    assert "python -m bot slack manifest > slack-manifest.json" in commands  # from docs
    assert not any("[--guild ID]" in command for command in commands)


@pytest.mark.parametrize("command", documented_commands())
def test_a_documented_command_runs_as_shown(reader_folder: Path, command: str) -> None:
    if "my.toml" in command:
        shutil.copy(reader_folder / "botschafter.toml", reader_folder / "my.toml")
    # A command that writes to /tmp or /srv writes to this test's own folder instead.
    local = command.replace("/tmp/", f"{reader_folder}/tmp-").replace("/srv/", f"{reader_folder}/")
    # A PostgreSQL server the docs name meets a closed local port instead (no name lookup,
    # no network), and must say so in one line.
    local = re.sub(r"postgresql://[^/\s]*/", "postgresql://bot@127.0.0.1:9/", local)
    result = _run(local, reader_folder)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == EXPECTED.get(command, 0), result.stderr
    if result.returncode != 0:
        assert (result.stderr or result.stdout).strip(), "a failure says why"


def _run(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "SLACK_", "BOTSCHAFTER_"))
    }
    environment["BOTSCHAFTER_DATA_DIR"] = str(folder / "data")
    shell_command = command.replace("python -m bot", f"{sys.executable} -m bot")
    # A session of its own, so a command that hangs is killed with the shell that ran it.
    process = subprocess.Popen(
        ["sh", "-c", shell_command],
        cwd=folder,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{command} did not finish within {TIMEOUT_SECONDS} s")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
