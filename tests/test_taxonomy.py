import pytest

from textmine.errors import LabelError
from textmine.taxonomy import DEFAULT_CATEGORIES, format_labels, is_full_width, parse_labels, suspect_categories


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


def test_taxonomy_full_width_colon_and_bar_read_as_half_width():
    assert parse_labels("车况：-1｜计费：１") == {"车况": -1, "计费": 1}
    assert is_full_width("车况：-1") and not is_full_width("车况:-1，计费:1")


@pytest.mark.parametrize("cell, polarity", [("车况:负面", -1), ("车况:中性", 0), ("车况:正面", 1),
                                            ("车况:差", -1), ("车况:好", 1), ("车况:+1", 1), ("车况:－1", -1)])
def test_taxonomy_polarity_words_read_as_polarities(cell, polarity):
    assert parse_labels(cell) == {"车况": polarity}


def test_taxonomy_bad_polarity_suggests_the_forms_allowed():
    with pytest.raises(LabelError, match="write 计费:-1, 计费:0 or 计费:1"):
        parse_labels("计费:2")


@pytest.mark.parametrize("name, stem, polarity", [("应用-1", "应用", -1), ("应用 +1", "应用", 1),
                                                  ("车况负面", "车况", -1), ("车况差", "车况", -1)])
def test_taxonomy_polarity_tail_in_name_is_suspect(name, stem, polarity):
    suspects = suspect_categories({"应用": 5, "车况": 6, name: 3})
    assert suspects[name][:2] == (stem, polarity)
    assert set(suspects) == {name}


def test_taxonomy_name_seen_once_suggests_the_closest_common_name():
    suspects = suspect_categories({"车况": 6, "计费": 4, "车况况": 1, "zzz": 1, "logistics": 1},
                                  known=DEFAULT_CATEGORIES)
    assert suspects["车况况"][0] == "车况" and suspects["zzz"][0] is None
    assert "logistics" not in suspects and "车况" not in suspects


def test_taxonomy_bare_digit_tail_needs_a_known_stem():
    assert suspect_categories({"5G": 3, "iPhone 1": 2}) == {}
    assert suspect_categories({"计费": 3, "计费1": 2})["计费1"][:2] == ("计费", 1)
