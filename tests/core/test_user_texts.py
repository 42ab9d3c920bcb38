"""No text reaches a member without a catalog: an AST scan of bot/, cogs/ and adapters/ for
string literals with words handed straight to what members read (errors meant for them,
messages, replies, buttons, form fields and titles). Such a text would be English in every
language; it belongs in the catalogs (``i18n.text(key, locale)``). A second scan looks at
the values handed to catalog texts: ``str()`` of an enum or an error, and dates or numbers
formatted by hand, are English (or one country's) inside a translated sentence.

Operator-facing output (command-line tools, logs, configuration errors) is English on
purpose and is not a member's text: the command-line modules are skipped, and log calls and
`ConfigError` are no sinks.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cogs", "adapters")
# Command-line modules print to the operator's terminal, in English (docs/operations.md).
OPERATOR_MODULES = re.compile(r"(^|/)(cli|[a-z_]*_cli)\.py$|^bot/app/(cli|console|runner)")

# Calls whose text a member reads: the callee's name → which arguments carry text (indexes of
# positional arguments, and keywords).
SINKS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "UserError": ((0,), ("message",)),
    "OutgoingMessage": ((0,), ("text", "title")),
    "of": ((0,), ()),  # OutgoingMessage.of(...)
    "reply": ((0,), ()),
    "reply_private": ((0,), ()),
    "rich": ((0, 1, 2, 3), ()),
    "Plain": ((0,), ()),
    "Markup": ((0,), ()),
    "Field": ((0, 1), ("name", "value")),
    "Button": ((1,), ("label",)),
    "FormField": ((1,), ("label", "placeholder")),
    "Form": ((1,), ("title", "submit")),
    "Response": ((), ("text", "body")),  # the web pages' answers (aiohttp)
    "HTTPNotFound": ((), ("text",)),
    "HTTPBadRequest": ((), ("text",)),
}
# Texts that are words but no language's: excused here, each with its reason.
EXCUSED: dict[tuple[str, str], str] = {}
_WORDS = re.compile(r"[^\W\d_]{2,}(?:\s+|[-']\s*)[^\W\d_]{2,}")


def user_texts(
    tree: ast.Module, relative: str, sinks: dict[str, tuple[tuple[int, ...], tuple[str, ...]]]
) -> Iterator[str]:
    """``file:line: text`` for each literal with words given to a member-facing call."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node.func)
        if name not in sinks:
            continue
        positions, keywords = sinks[name]
        arguments = [node.args[i] for i in positions if i < len(node.args)]
        arguments += [k.value for k in node.keywords if k.arg in keywords]
        for argument in arguments:
            text = _literal(argument)
            if text and _WORDS.search(text) and (relative, text) not in EXCUSED:
                yield f"{relative}:{argument.lineno}: {text!r}"


def scan(root: Path = ROOT) -> list[str]:
    trees = {
        path.relative_to(root).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for package in PACKAGES
        for path in sorted((root / package).rglob("*.py"))
    }
    sinks = dict(SINKS)
    for error in member_errors(trees.values()):
        sinks.setdefault(error, SINKS["UserError"])
    found = []
    for relative, tree in trees.items():
        if not OPERATOR_MODULES.search(relative):
            found.extend(sorted(user_texts(tree, relative, sinks), key=_line))
    return found


def _line(finding: str) -> int:
    return int(finding.split(":")[1])


def member_errors(trees: Iterable[ast.Module]) -> set[str]:
    """`UserError` and every class derived from it: their messages are shown to members."""
    bases = {
        node.name: {_callee(base) for base in node.bases}
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    errors = {"UserError"}
    while grown := {name for name, of in bases.items() if of & errors} - errors:
        errors |= grown
    return errors


def _callee(function: ast.expr) -> str | None:
    if isinstance(function, ast.Name):
        return function.id
    if isinstance(function, ast.Attribute):
        return function.attr
    return None


def _literal(node: ast.expr) -> str:
    """The fixed text of a string literal or f-string; empty for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal(p) if isinstance(p, ast.Constant) else "{…}" for p in node.values)
    return ""


# A catalog key as the first argument of a call: ``i18n.t("tickets.reply.opened", …)``.
_KEY = re.compile(r"^[a-z_]+(\.[a-z_{…}]+)+$")
# Values given to a catalog text that are members' own words, excused with the reason.
OWN_WORDS: dict[tuple[str, str], str] = {
    ("cogs/moderation/direct.py", "reason"): "the moderator's reason, as they wrote it",
}


def english_values(tree: ast.Module, relative: str) -> Iterator[str]:
    """``file:line: key name=value`` for a value handed to a catalog text that code wrote in
    English or by hand: ``str()`` of an enum, an error or a timedelta (``capability=str(cap)``,
    ``error=str(error)``), or a date or number formatted by an f-string (``f"{now:%Y-%m}"``,
    ``f"{hours:.1f}"``). Pass the value itself (the catalogs write counts, times and durations
    the language's way), a text from the catalogs, or `bot.formatting`'s."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        key = _literal(node.args[0])
        if not _KEY.match(key):
            continue
        for keyword in node.keywords:
            value = keyword.value
            by_hand = isinstance(value, ast.JoinedStr) and any(
                isinstance(part, ast.FormattedValue) and part.format_spec is not None
                for part in value.values
            )
            stringified = isinstance(value, ast.Call) and _callee(value.func) in ("str", "repr")
            if (by_hand or stringified) and (relative, keyword.arg) not in OWN_WORDS:
                yield f"{relative}:{node.lineno}: {key} {keyword.arg}={ast.unparse(value)}"


def test_no_value_in_a_catalog_text_is_english_from_the_code() -> None:
    found = [
        finding
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if not OPERATOR_MODULES.search(relative := path.relative_to(ROOT).as_posix())
        for finding in english_values(ast.parse(path.read_text(encoding="utf-8")), relative)
    ]
    assert found == [], "name these values through the catalogs or bot.formatting"


def test_the_value_scan_finds_an_enum_and_a_hand_formatted_month() -> None:
    tree = ast.parse(
        "raise core_error('core.unavailable', capability=str(missing[0]))\n"
        "t('kudos.top.title', month=f'{now:%Y-%m}')\n"
        "t('kudos.top.title', month=formatting.month(now, locale), name=str(n))\n"
    )
    assert list(english_values(tree, "cogs/demo.py")) == [
        "cogs/demo.py:1: core.unavailable capability=str(missing[0])",
        "cogs/demo.py:2: kudos.top.title month=f'{now:%Y-%m}'",
        "cogs/demo.py:3: kudos.top.title name=str(n)",
    ]


def test_no_member_facing_text_bypasses_the_catalogs() -> None:
    assert scan() == [], "move these texts into the catalogs (English and every language)"


def test_the_scan_finds_a_planted_english_reply(tmp_path: Path) -> None:
    cog = tmp_path / "cogs" / "demo"
    cog.mkdir(parents=True)
    (cog / "handlers.py").write_text(
        "async def ping(interaction):\n"
        "    await interaction.reply('Pong, all is well.')\n"
        "    raise UserError(f'Ticket {number} is closed already')\n"
        "    await interaction.say('tickets.reply.opened', number=1)\n"
        "    log.info('not for members')\n",
        encoding="utf-8",
    )
    (cog / "cli.py").write_text("def run():\n    reply('For the operator only')\n")
    assert scan(tmp_path) == [
        "cogs/demo/handlers.py:2: 'Pong, all is well.'",
        "cogs/demo/handlers.py:3: 'Ticket {…} is closed already'",
    ]
