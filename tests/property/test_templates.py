"""Any template with any values renders to text it was given, and never evaluates anything.

Admins write templates; members supply the values (display names, ticket titles).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.outgoing import Markup, Plain
from bot.templates import problems, render
from tests.property.strategies import tricky_text

names = st.sampled_from(["name", "member", "title", "count", "_x", "Name", "0", "a.b", ""])
values = st.dictionaries(names, st.one_of(tricky_text, st.integers()), max_size=4)
templates = st.lists(st.one_of(tricky_text, names.map(lambda n: "{" + n + "}")), max_size=8).map(
    "".join
)


@given(template=templates, given_values=values)
def test_rendering_only_copies_template_text_and_given_values(
    template: str, given_values: dict[str, str | int]
) -> None:
    shown = {str(value) for value in given_values.values()}
    for segment in render(template, given_values):
        assert isinstance(segment, Markup | Plain)
        if isinstance(segment, Markup):
            assert segment.text in template
        else:
            # A value, or a token the template holds verbatim: never an evaluated expression.
            assert segment.text in shown or segment.text in template


@given(template=templates, allowed=st.sets(names, max_size=4))
def test_checking_a_template_lists_problems_as_sentences(template: str, allowed: set[str]) -> None:
    for problem in problems(template, allowed):
        assert isinstance(problem, str) and problem


def test_attribute_and_index_syntax_stays_literal() -> None:
    rendered = render("{name.__class__} {0.__init__} {name[0]}", {"name": "Ben"})
    assert all("class '" not in segment.text for segment in rendered)  # type: ignore[union-attr]
