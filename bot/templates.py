"""Safe templates: ``{name}`` placeholders filled in one pass, nothing else.

Templates come from catalogs and from admins (``/welcome set``); values often come from
members (display names, ticket titles). So rendering never uses ``str.format``: a
placeholder is a bare identifier looked up in a dict, ``{member.__class__}`` or
``{0.__init__}`` is never evaluated, and text inserted for a placeholder is never expanded
again. ``{{`` and ``}}`` stand for literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.outgoing import Markup, Plain, Rich, Segment

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*\Z")

Value = Segment | str | int


def render(template: str, values: Mapping[str, Value]) -> Rich:
    """Render trusted template text; str values are untrusted `Plain` text."""
    segments: list[Segment] = []
    position = 0
    for token in _TOKEN.finditer(template):
        segments.append(Markup(template[position : token.start()]))
        position = token.end()
        text = token.group(0)
        if text in ("{{", "}}"):
            segments.append(Markup(text[0]))
            continue
        name = token.group(1).strip()
        if _IDENTIFIER.match(name) and name in values:
            segments.append(_segment(values[name]))
        else:
            segments.append(Plain(text))
    segments.append(Markup(template[position:]))
    return tuple(s for s in segments if not (isinstance(s, Markup | Plain) and not s.text))


def placeholders(template: str) -> frozenset[str]:
    """The placeholder names a template uses, so a caller can skip reading a value (a
    platform call) that no template asks for."""
    return frozenset(
        name
        for token in _TOKEN.finditer(template)
        if token.group(1) is not None and _IDENTIFIER.match(name := token.group(1).strip())
    )


def problems(template: str, allowed: Iterable[str]) -> list[str]:
    """Reasons a template would not render as its author expects; empty when it is fine."""
    allowed_names = set(allowed)
    found = []
    for token in _TOKEN.finditer(template):
        if token.group(0) in ("{{", "}}"):
            continue
        name = token.group(1).strip()
        if not _IDENTIFIER.match(name):
            found.append(
                f"“{token.group(0)}” is not a placeholder: use a plain name like "
                + ", ".join(f"{{{n}}}" for n in sorted(allowed_names))
            )
        elif name not in allowed_names:
            found.append(
                f"unknown placeholder {{{name}}}; available: "
                + ", ".join(f"{{{n}}}" for n in sorted(allowed_names))
            )
    unmatched = _TOKEN.sub("", template)
    if "{" in unmatched or "}" in unmatched:
        found.append("unbalanced brace: write {{ or }} for a literal brace")
    return found


def _segment(value: Value) -> Segment:
    if isinstance(value, str):
        return Plain(value)
    if isinstance(value, int):
        return Plain(str(value))
    return value
