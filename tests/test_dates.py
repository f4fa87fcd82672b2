from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from newsbot.dates import BEIJING, fetched_at, find_datetime, parse_datetime, reference_time

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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("二〇一七年三月二十四日", utc(2017, 3, 23, 16)),
        ("二零一七年三月二十四日", utc(2017, 3, 23, 16)),
        ("二〇二〇年十月一日", utc(2020, 9, 30, 16)),
        ("二〇二〇年十一月十日", utc(2020, 11, 9, 16)),
        ("二〇二〇年十二月三十一日", utc(2020, 12, 30, 16)),
        ("二〇〇八年八月八日", utc(2008, 8, 7, 16)),
        ("二○○八年八月八号", utc(2008, 8, 7, 16)),
        ("一九九九年十二月二十日", utc(1999, 12, 19, 16)),
        ("发布日期：二〇一七年三月二十四日　来源：商务部", utc(2017, 3, 23, 16)),
        ("2017年三月二十四日", utc(2017, 3, 23, 16)),
    ],
)
def test_chinese_numerals(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["二〇一七年十三月一日", "二〇一七年二月三十日", "二〇一七年三月四十日"])
def test_impossible_chinese_numeral_dates(text):
    assert parse_datetime(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022年01月21日 星期五 22:23", utc(2022, 1, 21, 14, 23)),
        ("2022年1月21日 下午10:23", utc(2022, 1, 21, 14, 23)),
        ("2022年1月21日 晚上10:23", utc(2022, 1, 21, 14, 23)),
        ("2022年1月21日 上午10:23", utc(2022, 1, 21, 2, 23)),
        ("2022年1月21日 凌晨1:05", utc(2022, 1, 20, 17, 5)),
        ("2022年1月21日 中午12:30", utc(2022, 1, 21, 4, 30)),
        ("2022年1月21日 中午1:30", utc(2022, 1, 21, 5, 30)),
        ("2022年1月21日 星期五 下午10:23", utc(2022, 1, 21, 14, 23)),
        ("2022年1月21日（星期五）10:23", utc(2022, 1, 21, 2, 23)),
        ("2022-01-21 周五 22:23", utc(2022, 1, 21, 14, 23)),
        ("2022年1月21日 下午 22:23", utc(2022, 1, 21, 14, 23)),
        ("2022年01月21日 星期五", utc(2022, 1, 20, 16)),
        ("二〇二二年一月二十一日 下午10:23", utc(2022, 1, 21, 14, 23)),
        ("2022年1月21日 10点23分", utc(2022, 1, 21, 2, 23)),
    ],
)
def test_a_weekday_or_part_of_the_day_between_date_and_time(text, expected):
    assert parse_datetime(text) == expected


NOW = datetime(2024, 5, 10, 6, 0, tzinfo=UTC)  # 14:00 in Beijing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("刚刚", NOW),
        ("刚才", NOW),
        ("30秒前", NOW - timedelta(seconds=30)),
        ("5分钟前", NOW - timedelta(minutes=5)),
        ("5 分钟前", NOW - timedelta(minutes=5)),
        ("半小时前", NOW - timedelta(minutes=30)),
        ("3小时前", NOW - timedelta(hours=3)),
        ("1个小时前", NOW - timedelta(hours=1)),
        ("两小时前", NOW - timedelta(hours=2)),
        ("2天前", NOW - timedelta(days=2)),
        ("1周前", NOW - timedelta(weeks=1)),
        ("今天 08:00", utc(2024, 5, 10, 0, 0)),
        ("昨天 14:20", utc(2024, 5, 9, 6, 20)),
        ("昨日 23:59", utc(2024, 5, 9, 15, 59)),
        ("前天 09:00", utc(2024, 5, 8, 1, 0)),
        ("昨天 下午2:20", utc(2024, 5, 9, 6, 20)),
        ("来源：新浪财经 3小时前", NOW - timedelta(hours=3)),
    ],
)
def test_relative_times_count_back_from_the_fetch(text, expected):
    assert parse_datetime(text, now=NOW) == expected
    with fetched_at(NOW):
        assert parse_datetime(text) == expected


def test_yesterday_is_the_day_before_in_beijing_even_when_utc_is_still_on_it():
    just_after_midnight_in_beijing = datetime(2024, 5, 9, 16, 30, tzinfo=UTC)  # 00:30 on 10 May in Beijing
    assert parse_datetime("昨天 14:20", now=just_after_midnight_in_beijing) == utc(2024, 5, 9, 6, 20)


@pytest.mark.parametrize(
    "text",
    [
        "国家统计局今日发布数据，一季度国内生产总值同比增长。",
        "刚刚过去的一年里，中国经济顶住压力，总体保持平稳运行，就业和物价总体稳定，市场预期改善。",
        "三天前，他在接受采访时表示，公司将继续加大研发投入，推动产品升级换代，提升市场竞争力。",
        "昨天",
        "今日头条",
    ],
)
def test_relative_words_in_prose_or_without_a_clock_are_not_dates(text):
    assert parse_datetime(text, now=NOW) is None


def test_a_date_beats_a_relative_time_in_the_same_text():
    assert parse_datetime("3小时前 2024-05-01 08:00", now=NOW) == utc(2024, 5, 1, 0, 0)


def test_without_a_fetch_time_relative_times_count_back_from_the_clock():
    before = datetime.now(UTC)
    moment = parse_datetime("刚刚")
    assert before <= moment <= datetime.now(UTC)
    assert reference_time(NOW) == NOW
    with fetched_at(NOW):
        assert reference_time() == NOW
    assert reference_time() >= before
