"""Neutral text as Slack mrkdwn: bot markup translated, member text defused."""

from __future__ import annotations

from adapters.slack import emoji
from adapters.slack.incoming_text import readable_text
from adapters.slack.render import markup_to_mrkdwn, render_message, render_modal, render_rich
from bot.outgoing import (
    Button,
    ButtonStyle,
    ChannelMention,
    Field,
    Form,
    FormField,
    Link,
    Markup,
    Mention,
    OutgoingMessage,
    rich,
)


def test_bold_markup_becomes_slack_bold_and_italic_becomes_underscores() -> None:
    assert markup_to_mrkdwn("**Ticket #3** is *open*, ~~closed~~") == (
        "*Ticket #3* is _open_, ~closed~"
    )


def test_code_spans_are_left_alone() -> None:
    assert markup_to_mrkdwn("run `**not bold**` and\n```\n*x* <y>\n```") == (
        "run `**not bold**` and\n```\n*x* &lt;y&gt;\n```"
    )


def test_markdown_links_become_slack_links() -> None:
    assert markup_to_mrkdwn("see [the rules](https://x.io/rules)") == (
        "see <https://x.io/rules|the rules>"
    )


def test_member_text_can_never_ping_link_or_break_out() -> None:
    text = rich("<!channel> <@U0ALICE> @here <https://evil.io|click> & more")
    rendered = render_rich(text)
    assert "<!" not in rendered and "<@" not in rendered and "<http" not in rendered
    assert "&lt;!channel&gt;" in rendered and "&amp; more" in rendered
    assert "@here" not in rendered  # defused with a zero-width space


def test_mentions_ping_only_when_allowed() -> None:
    text = rich(Mention("U0BEN", "Ben"), " see ", ChannelMention("C0TICKETS"))
    assert render_rich(text) == "<@U0BEN> see <#C0TICKETS>"
    assert render_rich(text, allow_pings=False) == "@Ben see <#C0TICKETS>"


def test_link_labels_are_escaped() -> None:
    assert render_rich(rich(Link("https://x.io/a|b", "<Ticket> #1"))) == (
        "<https://x.io/a%7Cb|&lt;Ticket&gt; #1>"
    )


def test_plain_messages_are_text_and_rich_ones_blocks_with_a_fallback() -> None:
    assert render_message(OutgoingMessage.of("hi")).blocks is None
    rendered = render_message(
        OutgoingMessage(
            title=rich(Markup("Ticket #1")),
            text=rich("body"),
            fields=(Field(rich("Status"), rich("open"), inline=True),),
            buttons=(
                Button("t:claim:1", "Claim"),
                Button("t:close:1", "Close", ButtonStyle.DANGER),
            ),
        )
    )
    assert rendered.text == "*Ticket #1*\nbody\nStatus: open"
    assert rendered.blocks is not None
    types = [b["type"] for b in rendered.blocks]
    assert types == ["section", "section", "section", "actions"]
    claim, close = rendered.blocks[-1]["elements"]
    assert (claim["action_id"], claim["style"]) == ("t:claim:1", "primary")
    assert close["style"] == "danger"


def test_long_text_is_split_into_sections_slack_accepts() -> None:
    long = "\n".join(f"line {i} " + "x" * 100 for i in range(100))
    rendered = render_message(OutgoingMessage(text=rich(long), buttons=(Button("a", "A"),)))
    assert rendered.blocks is not None
    assert all(len(b["text"]["text"]) <= 3000 for b in rendered.blocks if "text" in b)


def test_a_long_code_block_is_closed_and_reopened_in_every_section() -> None:
    code = "\n".join(f'  "key{i}": "{"v" * 60}",' for i in range(100))
    text = rich(Markup("Configuration:\n```\n"), code, Markup("\n```"))
    rendered = render_message(OutgoingMessage(text=text, buttons=(Button("a", "A"),)))
    assert rendered.blocks is not None
    sections = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section"]
    assert len(sections) > 1 and all(len(s) <= 3000 for s in sections)
    assert all(s.count("```") == 2 for s in sections), "each section renders as code"
    assert sum(s.count('"key') for s in sections) == 100, "nothing is cut"


def test_forms_become_modals_within_slacks_limits() -> None:
    form = Form(
        "t:open",
        "Open a ticket about something long",
        (
            FormField("title", "Title", max_length=100),
            FormField("details", "Details", long=True, required=False),
        ),
    )
    view = render_modal(form, submit="Submit", cancel="Cancel", private_metadata={"c": "C1"})
    assert len(view["title"]["text"]) <= 24
    assert [b["block_id"] for b in view["blocks"]] == ["title", "details"]
    assert view["blocks"][1]["optional"] is True
    assert view["blocks"][1]["element"]["multiline"] is True


def test_incoming_text_reads_as_a_person_sees_it() -> None:
    names = {"U0BEN": "Ben"}.get
    text = "<@U0BEN> see <#C01|general>, <https://x.io|docs> &amp; <!here> <mailto:a@b.c|a@b.c>"
    assert readable_text(text, names) == "@Ben see #general, docs (https://x.io) & @here a@b.c"


def test_emoji_round_trip_between_unicode_and_slack_names() -> None:
    for name in ("white_check_mark", "wastebasket", "warning", "+1", "boot", "hammer"):
        assert emoji.to_slack(emoji.from_slack(name)) == name
    assert emoji.from_slack("thumbsup::skin-tone-4") == "👍"
    assert emoji.from_slack("partyparrot") == ":partyparrot:"
    assert emoji.to_slack(":partyparrot:") == "partyparrot"
    assert emoji.to_slack("⚠") == emoji.to_slack("⚠️") == "warning"


def test_emphasis_around_placeholders_spans_segments_but_never_member_text() -> None:
    text = rich(Markup("**Ticket #"), "12", Markup("** by "), "*Ben*", Markup(" *now*"))
    assert render_rich(text) == "*Ticket #12* by *Ben* _now_"
    sneaky = rich(Markup("a *"), "b* c **d", Markup("** e"))
    assert "b* c **d" in render_rich(sneaky)  # member text is never split or re-paired


def test_a_formatted_title_is_not_wrapped_in_bold_again() -> None:
    title = rich(Markup("🚩 **Flag #"), "1", Markup("**"))
    rendered = render_message(OutgoingMessage(title=title, buttons=(Button("a", "A"),)))
    assert rendered.blocks is not None
    assert rendered.blocks[0]["text"]["text"] == "🚩 *Flag #1*"
