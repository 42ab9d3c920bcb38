"""Reading Slack's payload shapes: what a member wrote is found in every documented form,
and what cannot be used says why instead of failing on a missing key."""

from __future__ import annotations

import pytest

from adapters.slack.shapes import Unusable, authored, edited, form_channel, joined_user


def test_an_older_nested_thread_broadcast_is_the_members_reply_in_its_channel() -> None:
    reply = {"type": "message", "subtype": "thread_broadcast", "user": "U1", "ts": "2.0"}
    found = authored({"type": "message", "channel": "C1", "message": {**reply, "text": "hi"}})
    assert found is not None
    assert (found["channel"], found["ts"], found["text"]) == ("C1", "2.0", "hi")


def test_hidden_bookkeeping_is_no_members_message() -> None:
    replied = {"type": "message", "hidden": True, "channel": "C1", "ts": "3.0"}
    assert authored({**replied, "message": {"user": "U1", "ts": "1.0"}}) is None


def test_a_message_without_a_channel_is_unusable() -> None:
    with pytest.raises(Unusable, match="channel"):
        authored({"type": "message", "subtype": "me_message", "user": "U1", "ts": "1.0"})


def test_an_edit_without_the_messages_ts_takes_it_and_the_author_from_before() -> None:
    now, before = edited(
        {
            "channel": "C1",
            "message": {"text": "new"},
            "previous_message": {"text": "old", "user": "U1", "ts": "1.0"},
        }
    )
    assert (now["ts"], now["user"], now["text"], before["text"]) == ("1.0", "U1", "new", "old")


@pytest.mark.parametrize(
    "metadata",
    ["This is for you!", "[1, 2]", '{"channel": 5}', '{"channel": "../etc"}', ""],
)
def test_metadata_the_bot_did_not_write_names_no_channel(metadata: str) -> None:
    assert form_channel(metadata) is None


def test_metadata_the_bot_wrote_names_its_channel() -> None:
    assert form_channel('{"channel": "C0GENERAL"}') == "C0GENERAL"


def test_a_team_join_without_a_user_id_is_unusable() -> None:
    with pytest.raises(Unusable):
        joined_user({"type": "team_join", "user": {}})
