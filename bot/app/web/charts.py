"""Charts for the insights pages: SVG drawn on the server by pygal, no JavaScript.

pygal writes its look as a ``<style>`` inside the SVG and adds scripts (its tooltips and
their configuration); we switch the tooltip script off (``js=[]``), take the
configuration script out of the drawing, and serve each chart as an image of its own with a
policy that allows that inline style and still no script (`CHART_POLICY`). The numbers
are always in a table beside the chart, so the chart is a picture of them, never the
only place they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree

import pygal
from pygal.style import Style

CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2328",
    foreground_strong="#1f2328",
    foreground_subtle="#59636e",
    colors=("#0b5cad", "#b35900", "#1a7f37", "#8250df", "#cf222e", "#57606a"),
    font_family="system-ui, sans-serif",
)


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    stacked: bool = False,
) -> bytes:
    """A bar chart of counts: one bar group per label, one colour per series."""
    kind = pygal.StackedBar if stacked else pygal.Bar
    chart = kind(
        style=_STYLE,
        js=[],
        width=720,
        height=320,
        title=title,
        x_label_rotation=30 if len(labels) > 8 else 0,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        print_values=False,
        show_minor_x_labels=len(labels) <= 16,
        x_labels_major_every=max(1, len(labels) // 8),
        truncate_label=-1,
        no_data_text="—",
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in [c for c in parent if str(c.tag).endswith("script")]:
            parent.remove(child)
    return ElementTree.tostring(tree, encoding="utf-8", xml_declaration=True)
