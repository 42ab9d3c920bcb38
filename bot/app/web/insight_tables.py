"""The insights as tables: what each page section shows, each chart draws and each CSV
download holds. One source for all three, so a download always matches its table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot import formatting
from bot.app.web.present import Presenter
from cogs.moderation.audit_view import action_name
from storage.insights import ModerationFigures, TicketFigures, WelcomeFigures


@dataclass(frozen=True, slots=True)
class Chart:
    """How a table is drawn: the label column, the value columns (series), stacked or not;
    `pivot` draws (label, series, value) rows as one series per distinct series value."""

    stacked: bool = False
    pivot: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    name: str  # in the CSV's address and the chart's
    title: str
    headers: list[str]
    rows: list[list[str]]
    chart: Chart | None = None
    empty: str = ""

    def counts(self) -> tuple[list[str], list[tuple[str, list[int]]]]:
        """Labels and series of the chart."""
        assert self.chart is not None
        if not self.chart.pivot:
            labels = [row[0] for row in self.rows]
            series = [
                (header, [int(row[i]) for row in self.rows])
                for i, header in enumerate(self.headers[1:], start=1)
            ]
            return labels, series
        labels = list(dict.fromkeys(row[0] for row in self.rows))
        names = sorted({row[1] for row in self.rows})
        values = {(row[0], row[1]): int(row[2]) for row in self.rows}
        return labels, [(n, [values.get((label, n), 0) for label in labels]) for n in names]


def weeks(start: date, end: date) -> list[date]:
    """Every ISO week (its Monday) that has a day in ``[start, end)``."""
    first = start - timedelta(days=start.weekday())
    return [
        first + timedelta(weeks=i)
        for i in range((end - first).days // 7 + 1)
        if first + timedelta(weeks=i) < end
    ]


def duration(present: Presenter, value: timedelta | None) -> str:
    """A median as hours with one decimal (days read badly in a table); "—" for none."""
    if value is None:
        return "—"
    hours = formatting.tenths(value.total_seconds() / 3600, present.locale)
    return present.t("insights.hours", hours=hours)


def percent(part: int, whole: int) -> str:
    return "—" if whole == 0 else f"{100 * part / whole:.0f} %"


def share(part: int, whole: int) -> str:
    """A percentage with the counts it comes from: "67 % (2/3)"."""
    return "—" if whole == 0 else f"{percent(part, whole)} ({part}/{whole})"


def ticket_tables(
    present: Presenter, figures: TicketFigures, start: date, end: date
) -> list[Table]:
    t = present.t
    span = weeks(start, end)
    listed_headers = [
        t("web.col_number"),
        t("web.col_title"),
        t("web.col_opened"),
        t("web.col_votes"),
    ]
    return [
        Table(
            "tickets-weekly",
            t("insights.tickets_weekly"),
            [t("insights.col_week"), t("insights.col_opened"), t("insights.col_resolved")],
            [
                [w.isoformat(), str(figures.opened.get(w, 0)), str(figures.resolved.get(w, 0))]
                for w in span
            ],
            Chart(),
        ),
        Table(
            "tickets-times",
            t("insights.tickets_times"),
            [t("insights.col_measure"), t("insights.col_value")],
            [
                [t("insights.first_response"), duration(present, figures.median_first_response)],
                [t("insights.resolution"), duration(present, figures.median_resolution)],
                [t("insights.promises_kept"), share(figures.promises_kept, figures.promises)],
            ],
        ),
        Table(
            "outcomes",
            t("insights.outcomes"),
            [t("insights.col_outcome"), t("insights.col_tickets")],
            [[_outcome(present, k), str(v)] for k, v in sorted(figures.outcomes.items())],
            Chart(),
            t("insights.none_in_range"),
        ),
        Table(
            "oldest-unclaimed",
            t("insights.oldest_unclaimed"),
            listed_headers,
            [
                [f"#{n.number}", n.title, n.opened_at.date().isoformat(), str(n.votes)]
                for n in figures.oldest_unclaimed
            ],
            empty=t("insights.none_now"),
        ),
        Table(
            "most-voted",
            t("insights.most_voted"),
            listed_headers,
            [
                [f"#{n.number}", n.title, n.opened_at.date().isoformat(), str(n.votes)]
                for n in figures.most_voted
            ],
            empty=t("insights.none_now"),
        ),
    ]


def moderation_tables(present: Presenter, figures: ModerationFigures) -> list[Table]:
    t = present.t
    return [
        Table(
            "flags-weekly",
            t("insights.flags_weekly"),
            [t("insights.col_week"), t("insights.col_rule"), t("insights.col_flags")],
            [[w.isoformat(), rule, str(n)] for (w, rule), n in figures.flags.items()],
            Chart(stacked=True, pivot=True),
            t("insights.none_in_range"),
        ),
        Table(
            "moderation-summary",
            t("insights.moderation_summary"),
            [t("insights.col_measure"), t("insights.col_value")],
            [
                [t("insights.settle"), duration(present, figures.median_settle)],
                [
                    t("insights.reports_acted"),
                    percent(figures.reported_acted, figures.reported),
                ],
            ],
        ),
        Table(
            "actions",
            t("insights.actions"),
            [t("insights.col_action"), t("insights.col_count")],
            [[_decision(present, k), str(v)] for k, v in sorted(figures.actions.items())],
            Chart(),
            t("insights.none_in_range"),
        ),
        Table(
            "repeat-offenders",
            t("insights.repeat_offenders"),
            [t("insights.col_member"), t("insights.col_infractions")],
            [[name, str(n)] for name, n in figures.repeat_offenders],
            empty=t("insights.none_in_range"),
        ),
    ]


def welcome_tables(
    present: Presenter, figures: WelcomeFigures, start: date, end: date
) -> list[Table]:
    t = present.t
    return [
        Table(
            "welcome-weekly",
            t("insights.welcome_weekly"),
            [t("insights.col_week"), t("insights.col_joins"), t("insights.col_kudos")],
            [
                [w.isoformat(), str(figures.joins.get(w, 0)), str(figures.kudos.get(w, 0))]
                for w in weeks(start, end)
            ],
            Chart(),
        ),
        Table(
            "welcome-summary",
            t("insights.welcome_summary"),
            [t("insights.col_measure"), t("insights.col_value")],
            [
                [t("insights.joined"), str(figures.joined)],
                [t("insights.accepted"), percent(figures.accepted, figures.joined)],
                [t("insights.posted_first_week"), share(figures.posted, figures.settled)],
                [t("insights.kudos_total"), str(sum(figures.kudos.values()))],
            ],
        ),
    ]


OUTCOMES = frozenset({"done", "declined", "duplicate"})


def _outcome(present: Presenter, outcome: str) -> str:
    return present.t(f"insights.outcome_{outcome}") if outcome in OUTCOMES else outcome


def _decision(present: Presenter, action: str) -> str:
    """A flag's decision ("warn") as the moderation log names it, in the page's language."""
    return action_name(present.texts, present.locale, action)
