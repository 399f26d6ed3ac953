from datetime import date, datetime

import pytest

from conftest import write_csv
from textmine.cli import main
from textmine.dates import parse_date, read_dates
from textmine.errors import InputError

MARCH_5 = datetime(2024, 3, 5)


@pytest.mark.parametrize("cell", ["2024年3月5日", "2024年03月05号", "２０２４年３月５日"])
def test_dates_chinese_form(cell):
    assert parse_date(cell) == MARCH_5


@pytest.mark.parametrize("cell,expected", [
    ("2024-03-05", MARCH_5), ("2024-03-05T12:30:00", datetime(2024, 3, 5, 12, 30)),
    ("2024-03-05 12:30:15+08:00", datetime(2024, 3, 5, 12, 30, 15)), ("2024.3.5", MARCH_5)])
def test_dates_iso_form(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell,expected", [
    ("2024/3/5 12:30", datetime(2024, 3, 5, 12, 30)), ("2024/3/5", MARCH_5),
    ("2024年3月5日 12时30分", datetime(2024, 3, 5, 12, 30))])
def test_dates_slash_form_with_time(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["20240305", 20240305])
def test_dates_compact_form(cell):
    assert parse_date(cell) == MARCH_5


@pytest.mark.parametrize("cell,expected", [
    ("45356", MARCH_5), (45356, MARCH_5), ("45356.5", datetime(2024, 3, 5, 12)), (45356.75, datetime(2024, 3, 5, 18))])
def test_dates_excel_serial(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell,expected", [
    ("1709596800", MARCH_5), (1709641800, datetime(2024, 3, 5, 12, 30)), ("1709596800000", MARCH_5)])
def test_dates_unix_timestamp_seconds_and_milliseconds(cell, expected):
    assert parse_date(cell) == expected


def test_dates_date_objects_pass_through():
    import pandas as pd

    assert parse_date(date(2024, 3, 5)) == MARCH_5
    assert parse_date(pd.Timestamp("2024-03-05 12:30")) == datetime(2024, 3, 5, 12, 30)
    assert parse_date(pd.NaT) is None


@pytest.mark.parametrize("cell", ["", "不详", "2024年13月5日", "2024-02-30", "12", "123456", None, float("nan"), True,
                                  "3月5日"])
def test_dates_not_a_date(cell):
    assert parse_date(cell) is None


def test_dates_read_counts_readable_and_quotes_unreadable():
    column = read_dates(["2024年3月5日", "", "不详", "45356", "later"])
    assert column.readable == 2 and column.total == 5
    assert column.unreadable == ["不详", "later"]


def test_dates_column_without_dates_is_an_error():
    with pytest.raises(InputError, match=r"dump.csv: column '日期': no readable date in 2 rows \(e.g. '周一', '周二'\)"):
        read_dates(["周一", "周二"], column="日期", path="dump.csv")


def _classified(tmp_path, dates):
    rows = [(f"第{i}单送餐太慢了", "logistics:-1", 0.1, "logistics:送餐太慢了", d) for i, d in enumerate(dates)]
    return write_csv(tmp_path / "c.csv", ["text", "categories", "sentiment", "evidence", "日期"], rows)


def test_dates_cli_column_without_dates_exits_1(tmp_path, tiny_model_path, capsys):
    path = _classified(tmp_path, ["周一", "周二", "周三"])
    code = main(["summarize", str(path), "-o", str(tmp_path / "r"), "--date-col", "日期", "--model", str(tiny_model_path),
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "c.csv" in err and "'日期'" in err and "no readable date in 3 rows" in err
    assert not (tmp_path / "r" / "report.html").exists()


def test_dates_cli_some_unreadable_dates_warn_and_count(tmp_path, tiny_model_path, capsys):
    path = _classified(tmp_path, ["2024年3月5日", "2024/3/12 08:00", "不详", "45370"])
    code = main(["summarize", str(path), "-o", str(tmp_path / "r"), "--date-col", "日期", "--model", str(tiny_model_path),
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 0
    assert "warning" in err and "1 of 4 rows have no readable date" in err
    assert "3 with a readable date" in err
    assert (tmp_path / "r" / "trend.csv").exists()
