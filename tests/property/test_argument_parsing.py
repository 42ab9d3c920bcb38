"""Any text typed after any shipped command is a valid call or a polite refusal, fast."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from adapters.local import LocalCommunity, LocalPlatform
from bot.cog import declared_commands
from bot.commands import Arguments, CommandSpec, parse_arguments
from bot.errors import UserError
from cogs import all_cogs
from tests.property.strategies import tricky_text

SPECS, _ = declared_commands(all_cogs())
# Generous: a parse takes microseconds; a backtracking pattern takes seconds.
BOUND_SECONDS = 0.5


def _platform() -> LocalPlatform:
    community = LocalCommunity()
    for name in ("Ben", "Amy"):
        community.add_member(name)
    return LocalPlatform(community)


PLATFORM = _platform()


def test_every_shipped_cog_declares_commands() -> None:
    assert len(SPECS) > 20


@given(spec=st.sampled_from(SPECS), text=tricky_text)
def test_any_text_is_a_valid_call_or_a_polite_user_error(spec: CommandSpec, text: str) -> None:
    started = time.perf_counter()
    try:
        arguments = parse_arguments(spec, text, PLATFORM, PLATFORM.community.community)
    except UserError as refusal:
        assert refusal.message.strip()
    else:
        assert isinstance(arguments, Arguments)
        declared = {option.name for option in spec.options}
        assert set(arguments.values) <= declared
        for option in spec.options:
            if option.required:
                assert arguments[option.name] is not None
    assert time.perf_counter() - started < BOUND_SECONDS
