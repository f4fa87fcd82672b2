"""Publication times in the forms Chinese news pages and feeds write them; naive times are Beijing time."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz

BEIJING = timezone(timedelta(hours=8), "CST")
EARLIEST_YEAR = 1970
LATEST_YEAR = 2100

_DATE = (
    r"(?<!\d)(?P<year>\d{4})\s*"
    r"(?:(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d)"
    r"|年\s*(?P<cmonth>\d{1,2})\s*月\s*(?P<cday>\d{1,2})(?!\d)\s*日?)"
)
_TIME = (
    r"(?:\s*T?\s*(?P<hour>\d{1,2})\s*[:时]\s*(?P<minute>\d{2})"
    r"(?:\s*[:分]\s*(?P<second>\d{2})(?P<fraction>[.,]\d+)?\s*秒?|\s*分)?"
    r"(?P<zone>Z(?![A-Za-z])|\s*(?:UTC|GMT)?\s*[+-]\d{2}:?\d{2}(?!\d)|\s*(?:UTC|GMT)(?:[+-]\d{1,2})?(?!\w))?)?"
)
_MOMENT = re.compile(_DATE + _TIME)
_OFFSET = re.compile(r"([+-])(\d{1,2}):?(\d{2})?")
_ENGLISH_MONTH = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b", re.IGNORECASE)
_CHINA_ZONE = re.compile(r"\bCST\b")
_ENDS_WITH_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?$")


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
        int(group("year")),
        int(group("month") or group("cmonth")),
        int(group("day") or group("cday")),
        int(group("hour") or 0),
        int(group("minute") or 0),
        int(group("second") or 0),
        int(float("0." + fraction[1:]) * 1_000_000) if fraction else 0,
        tzinfo=_zone(group("zone"), default_tz),
    )


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


def find_datetime(text: str, default_tz: tzinfo = BEIJING) -> datetime | None:
    """The first date (with its time, when one follows) written in ``text``, or ``None``.

    Reads ``2022年01月21日 08:15``, ``2022-01-21 08:15:30``, ``2022/1/21 8:15``, ``2022.01.21``, ISO 8601 with an
    offset or ``Z``; a time without a zone is in ``default_tz``. An impossible date gives ``None``.
    """
    match = _MOMENT.search(unicodedata.normalize("NFKC", text))
    if match is None:
        return None
    try:
        return _checked(_from_match(match, default_tz), default_tz)
    except ValueError:
        return None


def parse_datetime(text: str, default_tz: tzinfo = BEIJING) -> datetime | None:
    """A publication time as an aware datetime, or ``None`` when ``text`` holds none that can be.

    The whole text may be ISO 8601 or RFC 822/1123 (``CST`` there is China time); else the first date in the
    text counts (see ``find_datetime``), so ``来源：… 2022年01月21日 08:15`` reads too.
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
    return find_datetime(text, default_tz)
