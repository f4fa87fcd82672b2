from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from newsbot.dates import BEIJING, find_datetime, parse_datetime

SEED_MOMENT = datetime(2022, 1, 21, 14, 23, 33, tzinfo=UTC)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def test_beijing_is_eight_hours_east():
    assert BEIJING.utcoffset(None) == timedelta(hours=8)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022年01月21日 08:15", utc(2022, 1, 21, 0, 15)),
        ("2022年1月21日08:15", utc(2022, 1, 21, 0, 15)),
        ("2022年1月21日 8:15:30", utc(2022, 1, 21, 0, 15, 30)),
        ("2022 年 1 月 21 日 08:15", utc(2022, 1, 21, 0, 15)),
        ("2022-01-21 08:15:30", utc(2022, 1, 21, 0, 15, 30)),
        ("2022-01-21 08:15", utc(2022, 1, 21, 0, 15)),
        ("2022/1/21 8:15", utc(2022, 1, 21, 0, 15)),
        ("2022.01.21 08:15", utc(2022, 1, 21, 0, 15)),
        ("2022-01-21T22:23:33+08:00", SEED_MOMENT),
        ("2022-01-21T14:23:33Z", SEED_MOMENT),
        ("2022-01-21T14:23:33.000Z", SEED_MOMENT),
        ("2022-01-21T22:23:33", SEED_MOMENT),
        ("2022-01-21T09:23:33-05:00", SEED_MOMENT),
        ("2022-01-21 22:23:33 +0800", SEED_MOMENT),
        ("Fri, 21 Jan 2022 14:23:33 GMT", SEED_MOMENT),
        ("Fri, 21 Jan 2022 22:23:33 +0800", SEED_MOMENT),
        ("Fri, 21 Jan 2022 22:23:33 CST", SEED_MOMENT),
        ("Fri, 21 Jan 2022 22:23:33", SEED_MOMENT),
        ("21 Jan 2022 14:23:33 -0000", SEED_MOMENT),
        ("2022-01-21", utc(2022, 1, 20, 16)),
        ("2022年01月21日", utc(2022, 1, 20, 16)),
        ("2022年01月21日22时23分", utc(2022, 1, 21, 14, 23)),
        ("２０２２年０１月２１日　２２：２３", utc(2022, 1, 21, 14, 23)),
        ("  2022-01-21\n 22:23:33 ", SEED_MOMENT),
    ],
)
def test_forms(text, expected):
    moment = parse_datetime(text)
    assert moment is not None
    assert moment.tzinfo is not None
    assert moment == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("来源：上海证券报 2022年01月21日 22:23", utc(2022, 1, 21, 14, 23)),
        ("http://www.sina.com.cn  2005年03月21日11:21  人民网", utc(2005, 3, 21, 3, 21)),
        ("发布时间：2018-09-28 16:31:50 编辑：张三", utc(2018, 9, 28, 8, 31, 50)),
        ("<span class='date'>2019年09月07日 10:26</span>", utc(2019, 9, 7, 2, 26)),
        ("第1页 2022.01.21 更新", utc(2022, 1, 20, 16)),
    ],
)
def test_surrounding_text(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "没有日期",
        "2022-02-30 08:15",
        "2022年13月01日",
        "2022-01-21 25:00",
        "2022-01-21 08:61",
        "Fri, 32 Jan 2022 14:23:33 GMT",
        "1066-10-14 09:00",
        "12022-01-21",
        "2022-01",
    ],
)
def test_impossible_or_absent(text):
    assert parse_datetime(text) is None


def test_default_zone_applies_to_naive_times_only():
    assert parse_datetime("2022-01-21 22:23:33", default_tz=UTC) == utc(2022, 1, 21, 22, 23, 33)
    assert parse_datetime("2022-01-21T22:23:33+08:00", default_tz=UTC) == SEED_MOMENT


def test_offset_is_kept():
    moment = parse_datetime("2022-01-21T22:23:33+08:00")
    assert moment.utcoffset() == timedelta(hours=8)
    assert parse_datetime("2022-01-21 08:15").tzinfo == timezone(timedelta(hours=8))


def test_find_datetime_takes_the_first_date():
    text = "2018年09月28日 16:31 更新于 2018年09月29日 09:00"
    assert find_datetime(text) == utc(2018, 9, 28, 8, 31)
    assert find_datetime("no date here") is None


def test_digits_next_to_a_date_are_not_read_as_one():
    assert find_datetime("id 20220121123 2022-01-21") == utc(2022, 1, 20, 16)
