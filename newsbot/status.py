"""The archive's health per source, from the index database: run history (``runs``) and the failure ledger
(``failures``, read when present): as rows, a text table, JSON, and a self-contained HTML report with a
chart of the articles archived per day per source (an SVG drawn by pygal, no script, no outside link)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pygal
from pygal.style import Style

from newsbot.history import open_history
from newsbot.index.backends import postgres_url
from newsbot.index.table import read_rows
from newsbot.ledger import open_ledger
from newsbot.sites import sina

DAY = timedelta(days=1)
CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    font_family="sans-serif",
    colors=("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"),
)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One source's row: its last run (finish time ISO 8601 UTC, exit status), articles archived in the last
    day and week, the newest post's date (in its folder of the archive, or met by its runs), the last run's
    alarms and the failed articles the ledger holds."""

    source: str
    last_run: str | None = None
    exit_status: int | None = None
    archived_day: int = 0
    archived_week: int = 0
    newest_post: str | None = None
    alarms: list[str] = field(default_factory=list)
    retrying: int = 0
    given_up: int = 0

    @property
    def outcome(self) -> str:
        """``ok``, ``FAILED``, or ``-`` without a recorded run."""
        if self.exit_status is None:
            return "-"
        return "ok" if self.exit_status == 0 else "FAILED"


def source_statuses(
    output_dir: Path, now: datetime | None = None, settings: Mapping[str, Any] | None = None
) -> list[SourceStatus]:
    """A row per source with a recorded run or a ledger entry, by name, from the index ``settings`` name
    (``NEWSBOT_INDEX_URL``, else the folder's file); ``sqlite3.Error`` or ``psycopg.Error`` on a broken index."""
    now = now or datetime.now(UTC)
    with open_ledger(output_dir, settings, create=False) as failures:
        ledger = failures.counts()
    in_archive = newest_posts(output_dir, settings)
    rows = []
    with open_history(output_dir, settings, create=False) as history:
        for source in sorted({*history.sources(), *ledger}):
            last = next(iter(history.last_runs(source, 1)), None)
            waiting, given_up = ledger.get(source, (0, 0))
            rows.append(
                SourceStatus(
                    source=source,
                    last_run=last.finished if last else None,
                    exit_status=last.exit_status if last else None,
                    archived_day=history.archived_since(source, now - DAY),
                    archived_week=history.archived_since(source, now - 7 * DAY),
                    newest_post=max(
                        filter(None, (history.newest_post(source), in_archive.get(source_folder(source)))),
                        default=None,
                    ),
                    alarms=list(last.alarm_messages) if last else [],
                    retrying=waiting,
                    given_up=given_up,
                )
            )
    return rows


def source_folder(source: str) -> str:
    """The archive folder a source's posts are filed under: ``sina`` for ``sina-finance``, else the source's name
    (a feed or list source's posts go under its name, ``newsbot.spiders.feed``)."""
    return sina.NAME if source == "sina-finance" else source


def entries_rows(
    output_dir: Path, settings: Mapping[str, Any] | None, sql: str, postgres_sql: str | None = None
) -> list[tuple]:
    """The rows ``sql`` selects from the index's ``entries`` (``postgres_sql`` on PostgreSQL where it differs),
    read without creating anything; none without an index."""
    url = postgres_url(settings)
    if url is None:
        return read_rows(output_dir, "entries", sql)
    with psycopg.connect(url) as db:
        try:
            return db.execute(postgres_sql or sql).fetchall()
        except psycopg.errors.UndefinedTable:
            return []


def indexed_posts(output_dir: Path, settings: Mapping[str, Any] | None = None) -> int:
    """The posts the archive's index holds (its ``entries``), read without creating anything; 0 without an index."""
    rows = entries_rows(output_dir, settings, "SELECT COUNT(*) FROM entries")
    return int(rows[0][0]) if rows else 0


def newest_posts(output_dir: Path, settings: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The date (ISO 8601 UTC) of the newest post the index holds under each top folder of the archive, whatever
    run wrote it (one killed or still running too)."""
    rows = entries_rows(
        output_dir,
        settings,
        "SELECT substr(path, 1, instr(path, '/') - 1), MAX(published) FROM entries GROUP BY 1",
        "SELECT split_part(path, '/', 1), MAX(published) FROM entries GROUP BY 1",
    )
    return {folder: newest for folder, newest in rows}


def unfinished_posts(output_dir: Path, settings: Mapping[str, Any] | None = None) -> int:
    """Posts of the index no finished run counted as new: archived by runs killed before they recorded
    themselves (SIGKILL, a power cut) or before the run history (0.3.0); ``sqlite3.Error``/``psycopg.Error``."""
    with open_history(output_dir, settings, create=False) as history:
        counted = history.all_archived()
    return max(indexed_posts(output_dir, settings) - counted, 0)


def unfinished_line(count: int) -> str:
    """The status line for ``unfinished_posts``, empty for 0."""
    if not count:
        return ""
    return (
        f"{count} post{'s' * (count != 1)} archived by no finished run (a run killed before it finished, e.g. by"
        " SIGKILL, or one before the run history); not in the counts above"
    )


def status_json(rows: list[SourceStatus], unfinished: int = 0) -> dict[str, Any]:
    """The report as a JSON-ready object: ``sources``, the rows as dicts (each with its ``outcome`` word), and
    ``uncounted_posts``, the ``unfinished_posts`` count."""
    return {"sources": [{**asdict(row), "outcome": row.outcome} for row in rows], "uncounted_posts": unfinished}


def _moment(text: str | None) -> str:
    return text.replace("T", " ")[:16] if text else "-"


HEADERS = (
    "source",
    "last run (UTC)",
    "outcome",
    "last day",
    "last week",
    "newest post",
    "alarms",
    "retrying",
    "given up",
)


def table_cells(row: SourceStatus) -> tuple[str, ...]:
    """A row's cells, in ``HEADERS`` order, as shown by the text table and the HTML report."""
    return (
        row.source,
        _moment(row.last_run),
        row.outcome,
        str(row.archived_day),
        str(row.archived_week),
        _moment(row.newest_post),
        str(len(row.alarms)),
        str(row.retrying),
        str(row.given_up),
    )


def status_table(rows: list[SourceStatus], unfinished: int = 0) -> str:
    """A text table, one line per source, then the ``unfinished_line`` and each open alarm's message."""
    lines = [HEADERS, *(table_cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADERS))]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    if unfinished:
        text += ["", unfinished_line(unfinished)]
    alarms = [message for row in rows for message in row.alarms]
    if alarms:
        text += ["", "open alarms:", *(f"  {message}" for message in alarms)]
    return "\n".join(text)


def without_scripts(svg: Any) -> Any:
    """pygal's SVG tree without its ``<script>`` (the tooltips' config): a static chart runs no code."""
    for script in [element for element in svg.iter() if str(element.tag).rpartition("}")[2] == "script"]:
        script.getparent().remove(script)
    return svg


def chart_svg(per_day: dict[str, dict[str, int]], days: list[str]) -> str:
    """A bar chart (SVG text, no script) of articles archived per day (``days``, ``YYYY-MM-DD``) per source."""
    chart = pygal.Bar(
        js=(),
        disable_xml_declaration=True,
        style=CHART_STYLE,
        width=900,
        height=360,
        x_label_rotation=-45,
        show_minor_x_labels=False,
        legend_at_bottom=True,
        no_data_text="no articles archived",
    )
    chart.add_xml_filter(without_scripts)
    chart.x_labels = [day[5:] for day in days]
    chart.x_labels_major = chart.x_labels[:: max(len(days) // 10, 1)]
    for source, counts in sorted(per_day.items()):
        chart.add(source, [counts.get(day, 0) for day in days])
    return chart.render(is_unicode=True)


def report_days(now: datetime, count: int) -> list[str]:
    """The ``count`` UTC days up to ``now``'s, oldest first, as ``YYYY-MM-DD``."""
    today = now.astimezone(UTC).date()
    return [(today - timedelta(days=offset)).isoformat() for offset in range(count - 1, -1, -1)]


def status_html(
    output_dir: Path,
    rows: list[SourceStatus],
    now: datetime,
    days: int,
    settings: Mapping[str, Any] | None = None,
    unfinished: int = 0,
) -> str:
    """The report: a self-contained HTML page (inline CSS and SVG) with the table, the ``unfinished_line``, the
    alarms and the chart."""
    day_list = report_days(now, days)
    with open_history(output_dir, settings, create=False) as history:
        per_day = history.archived_per_day(datetime.fromisoformat(day_list[0]).replace(tzinfo=UTC))
    head = "".join(f"<th>{html.escape(name)}</th>" for name in HEADERS)
    body = (
        "".join(
            f'<tr class="{"failed" if row.exit_status else "ok"}">'
            + "".join(f"<td>{html.escape(cell)}</td>" for cell in table_cells(row))
            + "</tr>"
            for row in rows
        )
        or f'<tr><td colspan="{len(HEADERS)}">no runs recorded</td></tr>'
    )
    alarms = (
        "".join(f"<li>{html.escape(message)}</li>" for row in rows for message in row.alarms)
        or "<li>none</li>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>newsbot status: {html.escape(str(output_dir))}</title><style>"
        "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f3f3f3}"
        "tr.failed td{background:#fde2e1}h1{font-size:1.4em}h2{font-size:1.1em}"
        "</style></head><body>"
        f"<h1>newsbot status: {html.escape(str(output_dir))}</h1>"
        f"<p>As of {html.escape(now.astimezone(UTC).strftime('%Y-%m-%d %H:%M'))} UTC.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + (f"<p>{html.escape(unfinished_line(unfinished))}</p>" if unfinished else "")
        + f"<h2>Open alarms</h2><ul>{alarms}</ul>"
        f"<h2>Articles archived per day (UTC), last {days} days</h2>"
        f"<figure>{chart_svg(per_day, day_list)}</figure>"
        "</body></html>\n"
    )
