"""The report page: one HTML file that names its plots beside it.

No script, no font, no stylesheet from elsewhere: the folder is copied off a
cluster and opened from ``file://`` on a laptop with no network. Every text that
comes from the season (station and individual names, reasons) is escaped, since
a folder may be named ``<b>`` or ``A&B``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from trapline.report.figures import Section

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1160px;
       padding: 0 1.5rem 3rem; color: #222; line-height: 1.45; }
header { border-bottom: 1px solid #ddd; margin-bottom: 1rem; }
h1 { margin-bottom: 0.2rem; }
nav ul { columns: 2; list-style: none; padding-left: 0; }
section { margin: 2rem 0 2.5rem; }
h2 { border-bottom: 1px solid #eee; padding-bottom: 0.2rem; }
p.look { background: #f3f7fb; border-left: 4px solid #0072B2; padding: 0.4rem 0.8rem; }
p.empty { background: #fdf3e7; border-left: 4px solid #E69F00; padding: 0.4rem 0.8rem; }
img { max-width: 100%; height: auto; display: block; }
ul.notes { font-size: 0.92rem; color: #444; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.1rem 1rem; }
dt { font-weight: 600; }
"""


def render_page(
    sections: Sequence[Section], facts: Sequence[tuple[str, str]], title: str
) -> str:
    """The report's HTML.

    Args:
        sections: in order; each names its plot ``<key>.png`` beside the page.
        facts: the season in a few label/value pairs, shown under the title.
        title: the page title (the results folder's name).
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>{escape(title)}</h1><dl>",
    ]
    parts += [f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts]
    parts.append("</dl><nav><ul>")
    parts += [
        f'<li><a href="#{escape(s.key)}">{escape(s.title)}</a></li>' for s in sections
    ]
    parts.append("</ul></nav></header><main>")
    for section in sections:
        parts.append(_section(section))
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _section(section: Section) -> str:
    key = escape(section.key)
    lines = [f'<section id="{key}" data-section="{key}">']
    lines.append(f"<h2>{escape(section.title)}</h2>")
    lines.append(f'<p class="look">{escape(section.look_for)}</p>')
    if section.empty is not None:
        lines.append(f'<p class="empty">Empty: {escape(section.empty)}.</p>')
    alt = section.title if section.empty is None else f"empty: {section.empty}"
    lines.append(f'<img src="{key}.png" alt="{escape(alt)}">')
    if section.notes:
        lines.append('<ul class="notes">')
        lines += [f"<li>{escape(note)}</li>" for note in section.notes]
        lines.append("</ul>")
    lines.append("</section>")
    return "\n".join(lines)
