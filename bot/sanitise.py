"""Text entering the core is valid Unicode, checked once at the dispatcher's door.

Platforms can hand over strings no encoder accepts: a lone UTF-16 surrogate (``"\\ud800"``,
from a client that cut an emoji in half or a JSON ``\\ud83d`` escape) is a valid Python
`str` but raises as soon as anything encodes it — the moderation rule view, SQLite,
an HTTP client. One such character used to stop every rule for a message and turn
``/ticket withdraw`` into the generic apology. `clean_event` replaces them with U+FFFD
(the replacement character) in every string an event carries, so cogs never see one.

Surrogates are the only code points a Python string may hold that UTF-8 cannot encode;
control characters and direction overrides are valid text and stay as they are (the
renderers escape what would format).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.model import ChannelRef, Community, Member, Role, UserRef

T = TypeVar("T")


def clean_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD; the same object if it had none.

    A high and a low surrogate that stand next to each other are joined into the character
    they encode, as the sender meant.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        utf16 = text.encode("utf-16-le", "surrogatepass")
        return utf16.decode("utf-16-le", "replace")
    return text


def clean_event(event: T) -> T:
    """`event` with `clean_text` applied to every string it holds, at any depth.

    Frozen dataclasses (events, members, references), tuples and mappings are looked into;
    anything else — a responder, a datetime — is a handle or a value without text and is
    passed on as it is. Nothing is copied unless some string actually changed, so the hot
    path (a member's ordinary message) costs a walk and no allocation.
    """
    return _clean(event)


def clean_data(value: T) -> T:
    """`clean_event` for other untrusted nested data (lists, mappings), e.g. moderation
    rules an admin set at run time: their keywords are compiled to bytes."""
    return _clean(value)


def _clean(value: Any) -> Any:
    kind = value.__class__
    if kind in _SETTLED and _seen.get(id(value)) is value:
        return value
    cleaner = _CLEANERS.get(kind)
    if cleaner is None:
        cleaner = _CLEANERS[kind] = _cleaner_for(kind)
    return cleaner(value)


def _clean_tuple(value: tuple[Any, ...]) -> tuple[Any, ...]:
    items = [_clean(item) for item in value]
    if all(new is old for new, old in zip(items, value, strict=True)):
        return value
    return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)


def _clean_list(value: list[Any]) -> list[Any]:
    items = [_clean(item) for item in value]
    return value if all(new is old for new, old in zip(items, value, strict=True)) else items


def _clean_mapping(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    pairs = [(_clean(key), _clean(item)) for key, item in value.items()]
    if all(
        k is old_k and v is old_v
        for (k, v), (old_k, old_v) in zip(pairs, value.items(), strict=True)
    ):
        return value
    return dict(pairs)


def _unchanged(value: T) -> T:
    return value


def _settled(value: T) -> T:
    """Remember `value` as clean: it is of a `_SETTLED` type and held nothing to replace."""
    if len(_seen) >= _SEEN_MOST:
        _seen.clear()
    _seen[id(value)] = value
    return value


# Values that hold no text: skipped without a call.
_PLAIN = frozenset({type(None), bool, int, float, datetime, timedelta})
# Containers that hold no text when empty (most messages mention nobody and attach nothing).
_HOLLOW = frozenset({tuple, list, dict})
# Frozen all the way down (strings, plain values, tuples and other such values; no list or
# dict): once found clean, an instance stays clean. Adapters hand out the same community,
# channel and member for message after message (adapters/discord/convert.py), so each is
# walked once, not once per message. The instances remembered are kept alive, so an id is
# never reused while it is remembered; the memory starts afresh past `_SEEN_MOST`.
_SETTLED = frozenset({Community, ChannelRef, Role, UserRef, Member})
_SEEN_MOST = 10_000
_seen: dict[int, Any] = {}
_CLEANERS: dict[type, Callable[[Any], Any]] = {
    str: clean_text,
    tuple: _clean_tuple,
    list: _clean_list,
    dict: _clean_mapping,
    **{kind: _unchanged for kind in _PLAIN},
}


def _cleaner_for(kind: type) -> Callable[[Any], Any]:
    """A cleaner for one type: for a frozen dataclass, straight-line code that reads each
    field once and skips ASCII strings and plain values without a call, because this runs
    for every event on the hot path; other mappings and tuples are walked; anything else
    (a responder, an enum) passes as it is."""
    if issubclass(kind, tuple):
        return _clean_tuple
    if issubclass(kind, Mapping):
        return _clean_mapping
    names = _value_fields(kind)
    if not names:
        return _unchanged
    lines = ["def clean(value):", "    changes = None"]
    for name in names:
        lines += [
            f"    field = value.{name}",
            "    kind = field.__class__",
            "    if kind not in plain and not (kind is str and field.isascii())"
            " and not (kind in hollow and not field):",
            "        new = walk(field)",
            "        if new is not field:",
            "            changes = changes or {}",
            f"            changes[{name!r}] = new",
        ]
    done = "settled(value)" if kind in _SETTLED else "value"
    lines.append(f"    return replace(value, **changes) if changes else {done}")
    scope: dict[str, Any] = {
        "plain": _PLAIN,
        "hollow": _HOLLOW,
        "walk": _clean,
        "replace": replace,
        "settled": _settled,
    }
    exec("\n".join(lines), scope)  # names come from the dataclass definition, not from input
    return scope["clean"]  # type: ignore[no-any-return]


@functools.cache
def _value_fields(kind: type) -> tuple[str, ...]:
    """The init fields of a frozen dataclass type; empty for every other type."""
    if not is_dataclass(kind) or not kind.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        return ()
    return tuple(field.name for field in fields(kind) if field.init)
