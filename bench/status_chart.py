"""The status report's chart: pygal (what newsbot uses) against matplotlib, on the same data.

For 3 sources over 30 days it prints, per library: the import time and the median time to draw the SVG (each in
a fresh interpreter for the import), the SVG's size, whether it holds a script, and the installed size of the
library with the packages it pulls in. Run: ``python bench/status_chart.py`` (matplotlib from the bench extra).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 20

DRAW = {
    "pygal": """
import time
started = time.perf_counter()
import pygal
imported = time.perf_counter() - started
from newsbot.status import chart_svg, report_days
from datetime import datetime, UTC
days = report_days(datetime(2026, 11, 30, tzinfo=UTC), 30)
data = {source: {day: (n * 7 + k * 3) % 23 for n, day in enumerate(days)} for k, source in
        enumerate(("sina-finance", "caixin", "people-finance"))}
def draw():
    return chart_svg(data, days)
""",
    "matplotlib": """
import time
started = time.perf_counter()
import io
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
imported = time.perf_counter() - started
from newsbot.status import report_days
from datetime import datetime, UTC
days = report_days(datetime(2026, 11, 30, tzinfo=UTC), 30)
data = {source: {day: (n * 7 + k * 3) % 23 for n, day in enumerate(days)} for k, source in
        enumerate(("sina-finance", "caixin", "people-finance"))}
def draw():
    figure, axes = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(data)
    for k, (source, counts) in enumerate(sorted(data.items())):
        axes.bar([n + k * width for n in range(len(days))], [counts.get(day, 0) for day in days], width,
                 label=source)
    axes.set_xticks(range(0, len(days), 3), [day[5:] for day in days][::3], rotation=45)
    axes.legend()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    return buffer.getvalue()
""",
}

MEASURE = """
import json, statistics
times = []
for _ in range({rounds}):
    started = time.perf_counter()
    svg = draw()
    times.append(time.perf_counter() - started)
print(json.dumps({{"import_s": imported, "draw_ms": statistics.median(times) * 1000, "bytes": len(svg.encode()),
                  "script": "<script" in svg}}))
"""

DEPENDENCIES = {
    "pygal": ("pygal",),
    "matplotlib": (
        "matplotlib",
        "numpy",
        "pillow",
        "fonttools",
        "contourpy",
        "kiwisolver",
        "cycler",
        "pyparsing",
    ),
}


def installed_mb(names: tuple[str, ...]) -> float:
    """The size of the installed files of the distributions ``names``, in MB (0 for one not installed)."""
    total = 0
    for name in names:
        try:
            files = distribution(name).files or []
        except PackageNotFoundError:
            continue
        total += sum(file.size or 0 for file in files if file.size)
    return total / 1e6


def main() -> None:
    print(f"{'library':<12}{'import s':>10}{'draw ms':>10}{'SVG kB':>9}{'script':>8}{'installed MB':>14}")
    for library, code in DRAW.items():
        imports = []
        result = {}
        for _ in range(3):
            done = subprocess.run(
                [sys.executable, "-c", code + MEASURE.format(rounds=ROUNDS)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                print(f"{library:<12}not measured: {done.stderr.strip().splitlines()[-1]}")
                break
            result = json.loads(done.stdout)
            imports.append(result["import_s"])
        else:
            print(
                f"{library:<12}{statistics.median(imports):>10.2f}{result['draw_ms']:>10.1f}"
                f"{result['bytes'] / 1000:>9.1f}{'yes' if result['script'] else 'no':>8}"
                f"{installed_mb(DEPENDENCIES[library]):>14.1f}"
            )


if __name__ == "__main__":
    main()
