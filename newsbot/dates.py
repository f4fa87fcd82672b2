"""Publication times in the forms Chinese news pages and feeds write them; naive times are Beijing time.

Besides ISO 8601, RFC 822 and ``2022年01月21日 08:15``, the pages write dates in Chinese numerals
(``二〇一七年三月二十四日``), put a weekday or a part of the day between date and time
(``2022年01月21日 星期五 下午10:23``) and show relative times (``刚刚``, ``5分钟前``, ``昨天 14:20``), which are
resolved against the time the page was fetched (``fetched_at``), else the clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz

BEIJING = timezone(timedelta(hours=8), "CST")
EARLIEST_YEAR = 1970
LATEST_YEAR = 2100
# A relative time is read only in a text this short (a date line), never in prose ("3天前，他说").
RELATIVE_TEXT_CHARS = 40

_CHINESE_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_YEAR = r"(?P<year>\d{4}|[〇○零一二三四五六七八九]{4})"
_SMALL = r"\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
_DATE = (
    rf"(?<![\d〇○零一二三四五六七八九十]){_YEAR}\s*"
    r"(?:(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d)"
    rf"|年\s*(?P<cmonth>{_SMALL})\s*月\s*(?P<cday>{_SMALL})(?![\d十])\s*[日号]?)"
)
# A weekday and a part of the day may stand between the date and the time: 星期五 下午10:23.
_BETWEEN = r"(?:\s*[(（]?\s*(?:星期|周|礼拜)[一二三四五六日天]\s*[)）]?)?(?:\s*(?P<period>上午|下午|凌晨|早上|早晨|中午|晚上|傍晚|夜间|夜里))?"
_TIME = (
    _BETWEEN + r"(?:\s*T?\s*(?P<hour>\d{1,2})\s*[:时点]\s*(?P<minute>\d{2})"
    r"(?:\s*[:分]\s*(?P<second>\d{2})(?P<fraction>[.,]\d+)?\s*秒?|\s*分)?"
    r"(?P<zone>Z(?![A-Za-z])|\s*(?:UTC|GMT)?\s*[+-]\d{2}:?\d{2}(?!\d)|\s*(?:UTC|GMT)(?:[+-]\d{1,2})?(?!\w))?)?"
)
_MOMENT = re.compile(_DATE + _TIME)
_CLOCK = r"(?:\s*(?P<period>上午|下午|凌晨|早上|早晨|中午|晚上|傍晚|夜间|夜里))?\s*(?P<hour>\d{1,2})\s*[:时点]\s*(?P<minute>\d{2})"
_RELATIVE = re.compile(
    r"(?P<now>刚刚|刚才)"
    r"|(?P<count>\d+|半|[一二三四五六七八九十两]+)\s*个?\s*(?P<unit>秒钟?|分钟|小时|钟头|天|周|星期)\s*(?:之|以)?前"
    rf"|(?P<day>今天|今日|昨天|昨日|前天){_CLOCK}"
)
_UNITS = {
    "秒": timedelta(seconds=1),
    "秒钟": timedelta(seconds=1),
    "分钟": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "钟头": timedelta(hours=1),
    "天": timedelta(days=1),
    "周": timedelta(weeks=1),
    "星期": timedelta(weeks=1),
}
_DAYS_BACK = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
_AFTERNOON = frozenset({"下午", "晚上", "傍晚", "夜间", "夜里"})
_OFFSET = re.compile(r"([+-])(\d{1,2}):?(\d{2})?")
_ENGLISH_MONTH = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b", re.IGNORECASE)
_CHINA_ZONE = re.compile(r"\bCST\b")
_ENDS_WITH_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?$")

_FETCHED: ContextVar[datetime | None] = ContextVar("newsbot_fetched", default=None)


@contextmanager
def fetched_at(moment: datetime | None) -> Iterator[None]:
    """Within the block, relative times (``3小时前``) count back from ``moment`` (aware), not from the clock."""
    token = _FETCHED.set(moment)
    try:
        yield
    finally:
        _FETCHED.reset(token)


def reference_time(now: datetime | None = None) -> datetime:
    """The moment relative times count back from: ``now``, else ``fetched_at``'s, else the clock (aware)."""
    moment = now or _FETCHED.get() or datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def chinese_number(text: str) -> int:
    """``2017``, ``二〇一七`` (digit by digit), ``二十四``, ``十``, ``三十一`` as an int; ``ValueError`` otherwise."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int("".join(str(_CHINESE_DIGITS[char]) for char in text))
    tens, _, units = text.partition("十")
    return 10 * (_CHINESE_DIGITS[tens] if tens else 1) + (_CHINESE_DIGITS[units] if units else 0)


def _hour(hour: int, period: str | None) -> int:
    if (period in _AFTERNOON and hour < 12) or (period == "中午" and hour < 11):
        return hour + 12
    if period == "凌晨" and hour == 12:
        return 0
    return hour


def _zone(text: str | None, default_tz: tzinfo) -> tzinfo:
    if not text:
        return default_tz
    text = text.strip().removeprefix("UTC").removeprefix("GMT").strip()
    if text in ("", "Z"):
        return UTC
    match = _OFFSET.fullmatch(text)
    if match is None:
        raise ValueError(f"unreadable offset {text!r}")
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-delta if sign == "-" else delta)


def _checked(moment: datetime, default_tz: tzinfo) -> datetime | None:
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=default_tz)


def _from_match(match: re.Match[str], default_tz: tzinfo) -> datetime:
    group = match.group
    fraction = group("fraction")
    return datetime(
        chinese_number(group("year")),
        chinese_number(group("month") or group("cmonth")),
        chinese_number(group("day") or group("cday")),
        _hour(int(group("hour") or 0), group("period")),
        int(group("minute") or 0),
        int(group("second") or 0),
        int(float("0." + fraction[1:]) * 1_000_000) if fraction else 0,
        tzinfo=_zone(group("zone"), default_tz),
    )


def _from_relative(match: re.Match[str], now: datetime, default_tz: tzinfo) -> datetime:
    group = match.group
    if group("now"):
        return now
    if unit := group("unit"):
        count = group("count")
        amount = 0.5 if count == "半" else chinese_number(count.replace("两", "二"))
        return now - amount * _UNITS[unit]
    local = now.astimezone(default_tz) - timedelta(days=_DAYS_BACK[group("day")])
    hour = _hour(int(group("hour")), group("period"))
    return local.replace(hour=hour, minute=int(group("minute")), second=0, microsecond=0)


def _rfc822(text: str, default_tz: tzinfo) -> datetime | None:
    fields = parsedate_tz(_CHINA_ZONE.sub("+0800", text))
    if fields is None:
        return None
    offset = fields[9]
    if offset is None or _ENDS_WITH_TIME.search(text):
        zone = default_tz
    else:
        zone = timezone(timedelta(seconds=offset))
    return datetime(*fields[:6], tzinfo=zone)


def find_datetime(text: str, default_tz: tzinfo = BEIJING, now: datetime | None = None) -> datetime | None:
    """The first date (with its time, when one follows) written in ``text``, or ``None``.

    Reads ``2022年01月21日 08:15``, ``2022-01-21 08:15:30``, ``2022/1/21 8:15``, ``2022.01.21``, ISO 8601 with an
    offset or ``Z``, ``二〇一七年三月二十四日``, ``2022年1月21日 星期五 下午10:23``; a time without a zone is in
    ``default_tz``. Only when the text holds no date and is ``RELATIVE_TEXT_CHARS`` or shorter, a relative time
    (``刚刚``, ``5分钟前``, ``3小时前``, ``2天前``, ``今天 08:00``, ``昨天 14:20``, ``前天 09:00``) counts back
    from ``reference_time(now)``. An impossible date gives ``None``.
    """
    text = unicodedata.normalize("NFKC", text)
    match = _MOMENT.search(text)
    if match is not None:
        try:
            return _checked(_from_match(match, default_tz), default_tz)
        except (ValueError, KeyError):
            return None
    relative = _RELATIVE.search(text) if len(text.strip()) <= RELATIVE_TEXT_CHARS else None
    if relative is None:
        return None
    try:
        return _checked(_from_relative(relative, reference_time(now), default_tz), default_tz)
    except (ValueError, KeyError, OverflowError):
        return None


def parse_datetime(text: str, default_tz: tzinfo = BEIJING, now: datetime | None = None) -> datetime | None:
    """A publication time as an aware datetime, or ``None`` when ``text`` holds none that can be.

    The whole text may be ISO 8601 or RFC 822/1123 (``CST`` there is China time); else the first date in the
    text counts (see ``find_datetime``, ``now`` as there), so ``来源：… 2022年01月21日 08:15`` reads too.
    """
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None and _ENGLISH_MONTH.search(text):
        try:
            moment = _rfc822(text, default_tz)
        except (ValueError, OverflowError):
            return None
    if moment is not None:
        return _checked(moment, default_tz)
    return find_datetime(text, default_tz, now)
