"""Templates fill plain names only; user text never reaches attributes or formatting."""

from __future__ import annotations

from bot.outgoing import Markup, Mention, Plain, plain_text
from bot.templates import problems, render


class Member:
    secret = "TOKEN-123"

    def __str__(self) -> str:
        return "Ben"


def test_placeholders_are_filled_with_plain_untrusted_text() -> None:
    rendered = render("Welcome **{name}**!", {"name": "<@&123> **bold**"})
    assert rendered == (Markup("Welcome **"), Plain("<@&123> **bold**"), Markup("**!"))


def test_attribute_and_index_access_are_never_evaluated() -> None:
    values = {"member": "Ben", "name": "Ben"}
    for attack in ("{member.__class__}", "{0.__init__}", "{member.secret}", "{name!r:>99}"):
        text = plain_text(render(f"Hi {attack}", values))
        assert text == f"Hi {attack}"
        assert "class" not in text.replace(attack, "")


def test_user_text_inserted_for_a_placeholder_is_not_expanded_again() -> None:
    rendered = render("Hello {name}", {"name": "{secret} and {name.__class__}", "secret": "x"})
    assert plain_text(rendered) == "Hello {secret} and {name.__class__}"


def test_double_braces_are_literal_braces() -> None:
    assert plain_text(render("{{name}} is {name}", {"name": "Ben"})) == "{name} is Ben"


def test_segments_such_as_mentions_pass_through() -> None:
    assert render("{member}", {"member": Mention("u1", "Ben")}) == (Mention("u1", "Ben"),)


def test_problems_explain_what_is_wrong() -> None:
    allowed = ["member", "community"]
    assert problems("Hi {member} in {community}", allowed) == []
    assert "unknown placeholder {membr}" in problems("Hi {membr}", allowed)[0]
    assert "is not a placeholder" in problems("{member.__class__}", allowed)[0]
    assert "unbalanced brace" in problems("Hi {member", allowed)[0]
