import json

import pytest

from textmine.errors import InputError
from textmine.taxonomy import DEFAULT_CATEGORIES
from textmine.training import read_labelled, train

from conftest import TINY_CORPUS, write_csv


def _problems(tmp_path, rows, **kw):
    data = read_labelled(write_csv(tmp_path / "l.csv", ["text", "labels"], rows), **kw)
    return data, {(p.row, p.kind) for p in data.problems}


def test_training_malformed_label_reported_with_row(tmp_path):
    data, problems = _problems(tmp_path, [("好吃", "food:1"), ("太慢", "logistics:5"), ("贵", "price:")])
    assert (3, "malformed label") in problems and (4, "malformed label") in problems
    assert data.texts == ["好吃"]


def test_training_unknown_category_reported(tmp_path):
    _, problems = _problems(tmp_path, [("好吃", "food:1"), ("太慢", "shipping:-1")], categories=DEFAULT_CATEGORIES)
    assert problems == {(3, "unknown category")}


def test_training_conflicting_labels_reported(tmp_path):
    data, problems = _problems(tmp_path, [("太慢了", "logistics:-1"), ("太慢了", "logistics:1")])
    assert problems == {(3, "conflicting labels")}
    assert len(data) == 1


def test_training_exact_duplicates_reported(tmp_path):
    data, problems = _problems(tmp_path, [("太慢了", "logistics:-1"), ("好吃", "food:1"), ("太慢了", "logistics:-1")])
    assert problems == {(4, "duplicate")}
    assert data.texts == ["太慢了", "好吃"]


def test_training_empty_text_reported(tmp_path):
    _, problems = _problems(tmp_path, [("", "food:1"), ("好吃", "food:1")])
    assert problems == {(2, "empty text")}


def test_training_refuses_too_many_problems_unless_forced(tmp_path):
    rows = list(TINY_CORPUS) + [(f"坏标签{i}", "food:9") for i in range(5)]
    data = read_labelled(write_csv(tmp_path / "l.csv", ["text", "labels"], rows))
    with pytest.raises(InputError, match="5 of 29 rows have label problems"):
        train(data, sentiment_data=None, holdout=0)
    model = train(data, sentiment_data=None, holdout=0, force=True)
    assert "food" in model.categories


def test_training_sentiment_only_data_reads_sentiment_column(tmp_path):
    rows = [("好吃", "1"), ("难吃", "0"), ("太慢", "negative"), ("很快", "positive"), ("一般", "maybe")]
    data = read_labelled(write_csv(tmp_path / "s.csv", ["review", "label"], rows), sentiment_col="label")
    assert data.sentiments == [1, 0, 0, 1]
    assert all(labels == {} for labels in data.labels)
    assert [(p.row, p.kind) for p in data.problems] == [(6, "malformed label")]


def test_training_holdout_evaluation_recorded(tiny_corpus_path):
    data = read_labelled(tiny_corpus_path)
    model = train(data, sentiment_data=None, holdout=0.25)
    assert model.evaluation["n"] == 6 and "per_category" in model.evaluation
    assert model.manifest["metrics"]["micro_f1"] == model.evaluation["micro_f1"]
    assert len(model.holdout_data) == 6


def test_training_label_studio_export_is_read(tmp_path):
    export = [
        {"data": {"text": "送餐太慢"}, "annotations": [{"result": [{"type": "choices", "value": {"choices": ["logistics:-1"]}}]}]},
        {"data": {"text": "没标的"}, "annotations": []},
        {"data": {"text": "好吃但贵"}, "annotations": [{"result": [{"type": "choices", "value": {"choices": ["food:1", "price:-1"]}}]}]},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    data = read_labelled(path)
    assert data.texts == ["送餐太慢", "好吃但贵"]
    assert data.labels == [{"logistics": -1}, {"food": 1, "price": -1}]


def test_training_sentiment_column_may_be_partly_empty(tmp_path):
    rows = [("味道不错就是送太慢", "food:1|logistics:-1", "0"), ("好吃", "food:1", ""), ("太慢", "logistics:-1", "0")]
    data = read_labelled(write_csv(tmp_path / "l.csv", ["text", "labels", "sentiment"], rows), sentiment_col="sentiment")
    assert data.sentiments == [0, None, 0] and data.problems == []
    only = read_labelled(write_csv(tmp_path / "s.csv", ["text", "sentiment"], [("好吃", "1"), ("难吃", "")]),
                         sentiment_col="sentiment")
    assert only.texts == ["好吃"] and [(p.row, p.kind) for p in only.problems] == [(3, "empty label")]
    long = [("c1", "味道不错就是送太慢", "food", ""), ("c1", "味道不错就是送太慢", "logistics", "0")]
    grouped = read_labelled(write_csv(tmp_path / "g.csv", ["id", "text", "subject", "sentiment"], long),
                            id_col="id", label_col="subject", sentiment_col="sentiment")
    assert grouped.sentiments == [0]


def test_training_thresholds_stay_half_unless_tuned(tiny_corpus_path):
    data = read_labelled(tiny_corpus_path)
    plain = train(data, sentiment_data=None, holdout=0)
    tuned = train(data, sentiment_data=None, holdout=0, tune_thresholds=True)
    assert (plain.classifier.thresholds_ == 0.5).all()
    assert (tuned.classifier.thresholds_ != 0.5).any()
    assert plain.manifest["settings"]["tune_thresholds"] is False
    assert tuned.manifest["settings"]["tune_thresholds"] is True
