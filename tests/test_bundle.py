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
    dst = tmp_path / "m.joblib"
    shutil.copy(src, dst)
    shutil.copy(manifest_path(src), manifest_path(dst))
    return dst


def test_bundle_rejects_missing_manifest(tiny_model_path, tmp_path):
    dst = tmp_path / "m.joblib"
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
