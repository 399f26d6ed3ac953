import pytest

from textmine.errors import LabelError
from textmine.taxonomy import DEFAULT_CATEGORIES, format_labels, parse_labels


def test_taxonomy_parse_category_polarity_pairs():
    assert parse_labels("logistics:-1|food:1") == {"logistics": -1, "food": 1}


def test_taxonomy_parse_bare_categories():
    assert parse_labels("logistics|food") == {"logistics": None, "food": None}


def test_taxonomy_parse_chinese_categories_and_other_separators():
    assert parse_labels("动力:1，价格:-1") == {"动力": 1, "价格": -1}


def test_taxonomy_round_trip():
    labels = {"environment": 1, "service": 1, "location": -1}
    assert parse_labels(format_labels(labels)) == labels


@pytest.mark.parametrize("bad", ["", "food:2", "food:bad", ":1", "food:1|food:-1", "food:0.5"])
def test_taxonomy_malformed_labels_raise(bad):
    with pytest.raises(LabelError):
        parse_labels(bad)


def test_taxonomy_unknown_category_named_in_error():
    with pytest.raises(LabelError, match="shipping"):
        parse_labels("shipping:-1", categories=DEFAULT_CATEGORIES)
