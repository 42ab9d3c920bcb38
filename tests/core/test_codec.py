"""What an outbox entry stores comes back as it was, and nothing else can be stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.codec import decode, encode
from bot.model import ChannelRef, Community, MessageRef
from bot.outgoing import OutgoingMessage


def test_messages_references_times_and_durations_come_back_equal() -> None:
    channel = ChannelRef(Community("discord", "1"), "2", "general")
    values = (
        OutgoingMessage.of("hello **there**"),
        MessageRef(channel, "3"),
        datetime(2026, 12, 5, 18, 0, tzinfo=UTC),
        timedelta(minutes=10),
        {"flag": 7, "tags": ("a", "b")},
    )
    assert decode(encode(values)) == values


def test_a_dataclass_of_another_kind_is_refused_by_name() -> None:
    @dataclass(frozen=True)
    class Secret:
        token: str

    with pytest.raises(TypeError, match="Secret cannot be stored in the outbox"):
        encode((Secret("xoxb-1"),))
