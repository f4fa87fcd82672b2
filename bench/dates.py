"""Date reading: newsbot's rules (``newsbot.dates.parse_datetime``) against dateparser on the forms Chinese pages
write, and inside the text around them.

Each form has its right value (Beijing time, relative forms counted back from one fixed fetch time); the bench
prints, for newsbot and for dateparser (``languages=["zh", "en"]``, ``RELATIVE_BASE`` the fetch time, naive times
in Beijing), how many forms each reads right and the microseconds per call, whole forms and forms inside a line
of text. Run: ``python bench/dates.py [--rounds 200]`` (dateparser from ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsbot.dates import BEIJING, parse_datetime  # noqa: E402

FETCHED = datetime(2024, 5, 10, 14, 0, tzinfo=BEIJING)


def beijing(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=BEIJING)


FORMS: dict[str, datetime] = {
    "2022年01月21日 08:15": beijing(2022, 1, 21, 8, 15),
    "2022-01-21 08:15:30": beijing(2022, 1, 21, 8, 15, 30),
    "2022/1/21 8:15": beijing(2022, 1, 21, 8, 15),
    "2022.01.21": beijing(2022, 1, 21),
    "2022-01-21T22:23:33+08:00": beijing(2022, 1, 21, 22, 23, 33),
    "Fri, 21 Jan 2022 14:23:33 GMT": datetime(2022, 1, 21, 14, 23, 33, tzinfo=UTC),
    "２０２２年０１月２１日　２２：２３": beijing(2022, 1, 21, 22, 23),
    "2022年01月21日22时23分": beijing(2022, 1, 21, 22, 23),
    "二〇一七年三月二十四日": beijing(2017, 3, 24),
    "二零二〇年十二月三十一日": beijing(2020, 12, 31),
    "2022年01月21日 星期五 22:23": beijing(2022, 1, 21, 22, 23),
    "2022年1月21日 下午10:23": beijing(2022, 1, 21, 22, 23),
    "2022年1月21日 上午9:05": beijing(2022, 1, 21, 9, 5),
    "刚刚": FETCHED,
    "5分钟前": FETCHED - timedelta(minutes=5),
    "3小时前": FETCHED - timedelta(hours=3),
    "2天前": FETCHED - timedelta(days=2),
    "昨天 14:20": beijing(2024, 5, 9, 14, 20),
    "前天 09:00": beijing(2024, 5, 8, 9, 0),
}
CONTEXT = "来源：上海证券报 {} 编辑：张三"


def _newsbot(text: str) -> datetime | None:
    return parse_datetime(text, now=FETCHED)


def _dateparser() -> Callable[[str], datetime | None]:
    import dateparser

    settings = {
        "RELATIVE_BASE": FETCHED.replace(tzinfo=None),
        "TIMEZONE": "Asia/Shanghai",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    parser = dateparser.DateDataParser(languages=["zh", "en"], settings=settings)

    def read(text: str) -> datetime | None:
        return parser.get_date_data(text).date_obj

    return read


def _search_dateparser() -> Callable[[str], datetime | None]:
    from dateparser.search import search_dates

    settings = {
        "RELATIVE_BASE": FETCHED.replace(tzinfo=None),
        "TIMEZONE": "Asia/Shanghai",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }

    def read(text: str) -> datetime | None:
        found = search_dates(text, languages=["zh", "en"], settings=settings)
        return found[0][1] if found else None

    return read


def measure(
    read: Callable[[str], datetime | None], texts: dict[str, datetime], rounds: int
) -> tuple[int, float]:
    """Forms read right (to the second), and microseconds per call over ``rounds`` passes."""
    right = 0
    for text, expected in texts.items():
        try:
            moment = read(text)
        except Exception:  # a library's failure on one form reads as nothing
            moment = None
        right += moment is not None and abs(moment - expected) < timedelta(seconds=1)
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            with contextlib.suppress(Exception):
                read(text)
    return right, 1e6 * (time.perf_counter() - started) / (rounds * len(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    in_text = {CONTEXT.format(text): expected for text, expected in FORMS.items()}
    readers: dict[str, tuple[Callable[[str], datetime | None], Callable[[str], datetime | None]]] = {
        "newsbot (regex rules)": (_newsbot, _newsbot),
    }
    try:
        readers["dateparser 1.x (parse; search_dates in text)"] = (_dateparser(), _search_dateparser())
    except ImportError as error:
        print(f"skipped dateparser: {error} (pip install -e '.[bench]')", file=sys.stderr)
    print(f"{len(FORMS)} forms, fetched at {FETCHED.isoformat()}\n")
    print("| reader | forms right | µs/call | in a line of text: right | µs/call |")
    print("|---|---|---|---|---|")
    for name, (whole, inside) in readers.items():
        right, micros = measure(whole, FORMS, args.rounds)
        right_in_text, micros_in_text = measure(inside, in_text, max(1, args.rounds // 10))
        print(
            f"| {name} | {right}/{len(FORMS)} | {micros:.0f} | {right_in_text}/{len(in_text)} | "
            f"{micros_in_text:.0f} |"
        )


if __name__ == "__main__":
    main()
