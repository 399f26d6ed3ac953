import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from textmine import modelfile
from textmine.bundle import ModelBundle, load_model
from textmine.errors import ModelError
from textmine.features import NBScaling
from textmine.segment import Segmenter


class _Payload:
    """Unpickling this writes a marker file: what a malicious model would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _with_manifest(path, fmt):
    from textmine.modelfile import manifest_path, sha256, versions

    manifest = {"format": fmt, "sha256": sha256(path), "versions": versions(), "categories": ["food"]}
    manifest_path(path).write_text(json.dumps(manifest), encoding="utf-8")
    return path


def test_modelfile_round_trip_keeps_every_kind_of_value(tmp_path):
    scaling = NBScaling(alpha=0.5)
    scaling.ratio_ = np.arange(5, dtype=np.float32)
    tree = {
        "estimator": scaling, "segmenter": Segmenter(negation=False, cache_size=7),
        "sparse": sp.csr_matrix(np.array([[0, 1.5], [2, 0]])), "labels": np.array(["a", "bb"], dtype=object),
        "vocabulary": {f"词{i}": i for i in range(100)}, "small": {"x": 1, 2: (3, "y")}, "scalar": np.float64(0.25),
        "nested": [1, 2.5, None, True, "s", frozenset({"n"})], "dtype": np.float32,
    }
    path = tmp_path / "m.npz"
    modelfile.write(path, tree, {"categories": ["food"]})
    got, manifest = modelfile.read(path)
    assert manifest["format"] == modelfile.FORMAT_VERSION and len(manifest["sha256"]) == 64
    assert isinstance(got["estimator"], NBScaling) and got["estimator"].alpha == 0.5
    assert np.array_equal(got["estimator"].ratio_, scaling.ratio_) and got["estimator"].ratio_.dtype == np.float32
    assert got["segmenter"].negation is False and got["segmenter"].cache_size == 7
    assert (got["sparse"] != tree["sparse"]).nnz == 0
    assert got["labels"].dtype == object and got["labels"].tolist() == ["a", "bb"]
    assert got["vocabulary"] == tree["vocabulary"] and got["small"] == tree["small"]
    assert got["scalar"] == 0.25 and isinstance(got["scalar"], np.float64)
    assert got["nested"] == tree["nested"] and got["dtype"] is np.float32


def test_modelfile_arrays_are_memory_mapped(tmp_path):
    scaling = NBScaling().set_params(alpha=2.0)
    scaling.ratio_ = np.linspace(0, 1, 1000)
    path = tmp_path / "m.npz"
    modelfile.write(path, scaling, {})
    got, _ = modelfile.read(path)
    assert isinstance(got.ratio_, np.memmap) and np.array_equal(got.ratio_, scaling.ratio_)


def test_modelfile_sklearn_parts_build_only_when_used(tmp_path):
    from sklearn.linear_model import LogisticRegression

    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    path = tmp_path / "m.npz"
    modelfile.write(path, {"lr": LogisticRegression().fit(X, y)}, {})
    lazy = modelfile.read(path)[0]["lr"]
    assert isinstance(lazy, modelfile.LazyEstimator) and lazy._real is None
    assert np.array_equal(lazy.classes_, [0, 1]) and lazy._real is None
    assert np.allclose(lazy.predict_proba(X), LogisticRegression().fit(X, y).predict_proba(X))
    assert isinstance(lazy._real, LogisticRegression)


def test_modelfile_refuses_a_class_not_allowed(tmp_path):
    with pytest.raises(ModelError, match="not one a model file may hold"):
        modelfile.write(tmp_path / "m.npz", {"x": zipfile.ZipInfo("a")}, {})


def test_modelfile_pickle_model_refused_without_trust_and_marker_never_written(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.joblib"
    path.write_bytes(pickle.dumps({"segmenter": _Payload(marker)}))
    _with_manifest(path, 1)
    with pytest.raises(ModelError, match="trust_pickle") as err:
        load_model(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert not marker.exists()


def test_modelfile_new_format_file_holding_a_pickle_is_refused_without_the_marker(tmp_path):
    marker = tmp_path / "marker"
    # a pickle given the new format's manifest
    disguised = tmp_path / "disguised.npz"
    disguised.write_bytes(pickle.dumps(_Payload(marker)))
    _with_manifest(disguised, modelfile.FORMAT_VERSION)
    with pytest.raises(ModelError, match="disguised.npz"):
        load_model(disguised)
    # an archive whose member is an object array (numpy would unpickle it)
    objects = tmp_path / "objects.npz"
    with zipfile.ZipFile(objects, "w") as archive:
        with archive.open("__tree__.npy", "w") as member:
            np.lib.format.write_array(member, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    _with_manifest(objects, modelfile.FORMAT_VERSION)
    with pytest.raises(ModelError, match="Python objects"):
        load_model(objects)
    # a tree naming a callable outside the allowed classes
    tree = tmp_path / "tree.npz"
    node = {"$": "object", "class": "os.system", "state": {"$": "dict", "keys": [], "values": []}}
    with zipfile.ZipFile(tree, "w") as archive:
        with archive.open("__tree__.npy", "w") as member:
            np.lib.format.write_array(member, np.frombuffer(json.dumps(node).encode(), np.uint8))
    _with_manifest(tree, modelfile.FORMAT_VERSION)
    with pytest.raises(ModelError, match="'os.system' is not one a model file may hold"):
        load_model(tree)
    assert not marker.exists()


def test_modelfile_trusted_pickle_loads_and_converts(tiny_model, tmp_path):
    import joblib

    old = tmp_path / "old.joblib"
    joblib.dump({"segmenter": tiny_model.segmenter, "classifier": tiny_model.classifier,
                 "sentiment": tiny_model.sentiment, "polarity": tiny_model.polarity}, old)
    _with_manifest(old, 1)
    manifest = json.loads(modelfile.manifest_path(old).read_text(encoding="utf-8"))
    manifest["categories"] = tiny_model.categories
    modelfile.manifest_path(old).write_text(json.dumps(manifest), encoding="utf-8")
    trusted = load_model(old, trust_pickle=True)
    converted = trusted.save(tmp_path / "new.npz")
    texts = ["送餐太慢了", "客服态度差，菜也凉了", "好吃"]
    expected = [(r.labels, r.sentiment) for r in tiny_model.analyze(texts)]
    assert [(r.labels, r.sentiment) for r in ModelBundle.load(converted).analyze(texts)] == expected


def test_modelfile_shipped_model_is_the_new_format():
    from textmine.resources import resource_path

    path = resource_path("models", "default.npz")
    assert zipfile.is_zipfile(path)
    assert json.loads(modelfile.manifest_path(path).read_text(encoding="utf-8"))["format"] == modelfile.FORMAT_VERSION
    assert not os.path.exists(str(path).replace(".npz", ".joblib"))


def test_modelfile_loaded_model_predicts_without_importing_sklearn(tiny_model, tiny_model_path):
    import subprocess
    import sys

    code = ("import sys, textmine; m = textmine.load_model(sys.argv[1]); "
            "r = m.analyze(['送餐太慢了，饭都凉了', '客服态度差']); "
            "print(r[0].labels, r[1].labels, any(k.startswith('sklearn') for k in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(tiny_model_path)], capture_output=True, text=True)
    expected = [r.labels for r in tiny_model.analyze(["送餐太慢了，饭都凉了", "客服态度差"])]
    assert done.stdout.split() == expected + ["False"], done.stderr
