"""The guided tour (docs/examples/tour.script) replays to exactly the golden transcript.

The tour touches every feature, so any change a member would see shows up here. After an
intended change, regenerate the golden file with ``BOTSCHAFTER_UPDATE_GOLDEN=1 pytest
tests/core/test_golden_transcript.py`` and review the diff like code.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from bot.app.runner import run_script
from bot.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
GOLDEN = Path(__file__).parent / "golden" / "tour.transcript"


async def test_the_tour_matches_the_golden_transcript(settings: Settings) -> None:
    settings.config_file = EXAMPLES / "botschafter.toml"
    out = io.StringIO()
    assert await run_script(EXAMPLES / "tour.script", settings, out) == 0
    transcript = out.getvalue()
    if os.environ.get("BOTSCHAFTER_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(transcript, encoding="utf-8")
    assert transcript == GOLDEN.read_text(encoding="utf-8")


async def test_a_second_run_continues_the_same_community(settings: Settings) -> None:
    settings.config_file = EXAMPLES / "botschafter.toml"
    script = settings.data_dir.parent / "again.script"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    script.write_text("as Ben\nwait 15m\n/ticket open Another wish\n", encoding="utf-8")
    assert await run_script(script, settings, io.StringIO()) == 0
    out = io.StringIO()
    assert await run_script(script, settings, out) == 0
    assert "Ticket #2:" in out.getvalue()


def test_the_local_mode_docs_show_the_real_transcript() -> None:
    doc = (EXAMPLES.parent / "local-mode.md").read_text(encoding="utf-8")
    shown = doc.split("<!-- tour-transcript -->\n```text\n", 1)[1].split("\n```", 1)[0]
    assert shown + "\n" == GOLDEN.read_text(encoding="utf-8")
