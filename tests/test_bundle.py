import json
import shutil

import pytest

from textmine.bundle import ModelBundle, load_model, manifest_path
from textmine.errors import ModelError


def test_bundle_analyze_one_result_per_input_in_order(tiny_model):
    texts = ["送餐太慢了", None, "", "味道很好，非常好吃", float("nan")]
    results = tiny_model.analyze(texts)
    assert len(results) == len(texts)
    assert results[0].categories and "logistics" in results[0].categories
    assert results[1].error == results[2].error == results[4].error == "empty text"
    assert results[3].error is None and "food" in results[3].categories


def test_bundle_result_fields(tiny_model):
    r = tiny_model.analyze(["送餐太慢了"])[0]
    assert 0 <= r.sentiment <= 1
    assert r.sentiment_label in {"negative", "neutral", "positive"}
    assert r.labels.startswith("logistics:")
    assert set(r.evidence) == set(r.categories) == set(r.probabilities)


def test_bundle_save_load_round_trip(tiny_model, tiny_model_path):
    loaded = ModelBundle.load(tiny_model_path)
    texts = ["送餐太慢了", "客服态度差", "好吃"]
    assert [r.labels for r in loaded.analyze(texts)] == [r.labels for r in tiny_model.analyze(texts)]
    manifest = json.loads(manifest_path(tiny_model_path).read_text(encoding="utf-8"))
    assert manifest["categories"] == loaded.categories
    assert {"scikit-learn", "jieba", "python"} <= set(manifest["versions"])
    assert len(manifest["sha256"]) == 64


def _copy(src, tmp_path):
    dst = tmp_path / "m.npz"
    shutil.copy(src, dst)
    shutil.copy(manifest_path(src), manifest_path(dst))
    return dst


def test_bundle_rejects_missing_manifest(tiny_model_path, tmp_path):
    dst = tmp_path / "m.npz"
    shutil.copy(tiny_model_path, dst)
    with pytest.raises(ModelError, match="manifest"):
        load_model(dst)


def test_bundle_rejects_changed_file(tiny_model_path, tmp_path):
    dst = _copy(tiny_model_path, tmp_path)
    with open(dst, "ab") as f:
        f.write(b"tampered")
    with pytest.raises(ModelError, match="sha256"):
        load_model(dst)


@pytest.mark.parametrize("field,value,message", [
    ("format", 99, "format"),
    ("versions", {"scikit-learn": "0.1.0"}, "scikit-learn"),
    ("categories", ["logistics"], "categories"),
])
def test_bundle_rejects_manifest_mismatch(tiny_model_path, tmp_path, field, value, message):
    dst = _copy(tiny_model_path, tmp_path)
    mpath = manifest_path(dst)
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest[field] = value
    mpath.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelError, match=message):
        load_model(dst)


def test_bundle_analyze_frame_adds_columns(tiny_model):
    import pandas as pd

    frame = pd.DataFrame({"id": [1, 2], "评论": ["送餐太慢", ""]})
    out = tiny_model.analyze_frame(frame)
    assert list(out["id"]) == [1, 2]
    assert {"categories", "sentiment", "sentiment_label", "evidence", "error"} <= set(out.columns)
    assert out.loc[1, "error"] == "empty text" and out.loc[0, "error"] == ""


def _small_cache_model(path):
    """The model at ``path`` with clause caches small enough to be emptied every few batches."""
    bundle = ModelBundle.load(path)
    for part in [bundle.classifier.vectorizer_, bundle.sentiment.vectorizer_] + bundle.polarity.vectorizers:
        part.set_params(cache_size=24)
    bundle.segmenter.set_params(cache_size=16)
    return ModelBundle(bundle.segmenter, bundle.classifier, bundle.sentiment, bundle.polarity)


def test_bundle_analyze_from_many_threads_equals_a_serial_run(tiny_model_path):
    from concurrent.futures import ThreadPoolExecutor

    from conftest import TINY_CORPUS

    texts = [t for t, _ in TINY_CORPUS]
    # 200 batches of 1 to 3 comments, each made of the clauses of two or three corpus comments
    batches = [[f"{texts[(b + i) % len(texts)]}，{texts[(3 * b + 5 * i) % len(texts)]}"
                + ("" if (b + i) % 3 else f"！{texts[(7 * b + i) % len(texts)]}")
                for i in range(1 + b % 3)] for b in range(200)]
    serial = [_small_cache_model(tiny_model_path).analyze(batch) for batch in batches]
    model = _small_cache_model(tiny_model_path)
    with ThreadPoolExecutor(max_workers=8) as pool:  # the 200 batches twice over, on 8 threads
        threaded = list(pool.map(model.analyze, batches + batches[::-1]))
    assert threaded == serial + serial[::-1]


def test_bundle_result_row_round_trip(tiny_model):
    from textmine.bundle import RESULT_COLUMNS, Result

    results = tiny_model.analyze(["送餐太慢了，但是味道很好", "", "客服态度差"])
    for r in results:
        row = r.to_row()
        assert tuple(row) == RESULT_COLUMNS
        as_read = {k: str(v) for k, v in row.items()}  # what a CSV gives back
        back = Result.from_row(as_read, text=r.text)
        assert back == Result(r.text, r.categories, {}, r.evidence, r.sentiment, r.sentiment_label, r.error)
    assert results[1].to_row()["error"] == "empty text" and results[0].to_row()["error"] == ""


def test_bundle_result_from_row_fills_missing_columns():
    from textmine.bundle import Result

    r = Result.from_row({"categories": "food", "sentiment": ""}, text="饭凉了")
    assert (r.categories, r.evidence, r.sentiment, r.sentiment_label, r.error) == ({"food": 0}, {}, 0.5, "neutral", None)


def test_bundle_result_to_dict_is_json_ready(tiny_model):
    r = tiny_model.analyze(["送餐太慢了，饭都凉了"])[0]
    back = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
    assert back == {"text": r.text, "categories": r.categories, "probabilities": r.probabilities,
                    "evidence": r.evidence, "sentiment": r.sentiment, "sentiment_label": r.sentiment_label,
                    "error": None}
