import pytest

from textmine.bundle import Result
from textmine.errors import InputError
from textmine.servqual import DEFAULT_MAPPING, DIMENSIONS, SERVQUAL_COLUMNS, read_mapping, servqual
from textmine.taxonomy import CHINESE_NAMES

from conftest import write_csv


def _r(cats):
    return Result("评论", cats, {}, {}, 0.5, "neutral")


def test_servqual_default_mapping_covers_the_taxonomy_but_price_and_other():
    assert set(DEFAULT_MAPPING.values()) == set(DIMENSIONS)
    assert set(DEFAULT_MAPPING) == set(CHINESE_NAMES) - {"price", "other"}


def test_servqual_counts_comments_per_dimension():
    frame = servqual([_r({"logistics": -1, "food": -1}), _r({"service": -1, "price": -1}), _r({"environment": 1}),
                      _r({"food": 1})])
    assert list(frame.columns) == SERVQUAL_COLUMNS and list(frame["dimension"]) == list(DIMENSIONS)
    rows = frame.set_index("dimension")
    assert rows.loc["reliability", "complaints"] == 1  # one comment, two reliability categories
    assert rows.loc["assurance", "complaints"] == 1 and rows.loc["tangibles", "praise"] == 1
    assert rows.loc["reliability", "share"] == pytest.approx(0.5) and frame["share"].sum() == pytest.approx(1.0)
    assert "logistics" in rows.loc["reliability", "categories"].split("|")


def test_servqual_mapping_file_and_its_errors(tmp_path):
    good = write_csv(tmp_path / "map.csv", ["category", "dimension"], [("动力", "reliability"), ("价格", ""),
                                                                        ("服务", "Assurance")])
    assert read_mapping(good) == {"动力": "reliability", "服务": "assurance"}
    bad = write_csv(tmp_path / "bad.csv", ["category", "dimension"], [("动力", "speed")])
    with pytest.raises(InputError, match=r"bad.csv, row 2: dimension 'speed' is not one of"):
        read_mapping(bad)
    twice = write_csv(tmp_path / "twice.csv", ["category", "dimension"], [("a", "empathy"), ("a", "empathy")])
    with pytest.raises(InputError, match="row 3: category 'a' is given twice"):
        read_mapping(twice)
    with pytest.raises(InputError, match="column 'dimension' not found"):
        read_mapping(write_csv(tmp_path / "cols.csv", ["category"], [("a",)]))
