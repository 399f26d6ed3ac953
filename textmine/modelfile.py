"""The model file format: arrays and JSON, no pickle, and the manifest beside it.

A model file (format 2) is an uncompressed ``.npz`` archive: one ``.npy`` member per
array and a ``__tree__.npy`` member holding, as UTF-8 JSON, the tree of objects that
points to them. Every object in the tree is one of a closed list of classes (textmine's
own estimators and the few scikit-learn ones they use) rebuilt from its state; no
member is read with pickle, so loading a file cannot run code. Arrays are
memory-mapped: processes that load the same file share its pages. Vocabularies (dicts
of str -> int) are stored as one array of keys (deflated) and one of values.

Beside the model, ``<file>.json`` is its manifest: the format, library versions,
categories, SHA-256 of the model file, training sources and metrics. :func:`read`
checks the manifest before reading and names the file and the field that differ.

Format 1 (a joblib pickle) is read only when the caller says it trusts the file.

The scikit-learn parts of a model are rebuilt lazily (:class:`LazyEstimator`): their
fitted arrays are there at once, while scikit-learn itself is imported only when one of
their methods is called, so that a process which only predicts does not pay for it.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import json
import platform
import types
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path, PurePath

import numpy as np

from .errors import ModelError

__all__ = ["FORMAT_VERSION", "LazyEstimator", "manifest_path", "write", "read", "read_manifest", "versions"]

FORMAT_VERSION = 2
_TREE = "__tree__"
# scikit-learn classes a model may hold (textmine's own estimators are allowed by kind,
# see _allowed_class)
SKLEARN_CLASSES = frozenset({
    "sklearn.dummy.DummyClassifier",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.preprocessing._label.MultiLabelBinarizer",
})
_VOCABULARY_MIN = 64  # a dict of str -> int at least this long is stored as two arrays


def manifest_path(model_path: str | Path) -> Path:
    """The manifest beside a model file: ``model.npz`` -> ``model.npz.json``."""
    return Path(str(model_path) + ".json")


def sha256(path: str | Path) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries a model depends on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("textmine", "scikit-learn", "numpy", "scipy", "jieba"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "unknown"
    return out


def _major_minor(v: str) -> str:
    return ".".join(v.split(".")[:2])


# -- lazily rebuilt scikit-learn objects ------------------------------------------------
class LazyEstimator:
    """A scikit-learn object of a model file, rebuilt on first use.

    Attributes of its saved state (``coef_``, ``vocabulary_``, ``estimators_`` ...)
    are read without importing scikit-learn; anything else (a method, a property) builds
    the real object first and is then read from it.
    """

    __slots__ = ("_class", "_state", "_real")

    def __init__(self, class_path: str, state: dict):
        self._class = class_path
        self._state = state
        self._real = None

    def _resolved(self) -> dict:
        """The state with every value decoded (vocabularies are decoded on first use)."""
        for name, value in self._state.items():
            if isinstance(value, _Pending):
                self._state[name] = value()
        return self._state

    def materialise(self):
        """The real scikit-learn object (built once)."""
        if self._real is None:
            self._real = _build(_allowed_class(self._class), self._resolved())
        return self._real

    def __getattr__(self, name: str):
        state = object.__getattribute__(self, "_state")
        if name in state:
            value = state[name]
            if isinstance(value, _Pending):
                value = state[name] = value()
            return value
        return getattr(self.materialise(), name)

    def __reduce__(self):
        return LazyEstimator, (self._class, self._resolved())

    def __repr__(self) -> str:
        return f"LazyEstimator({self._class})"


class _Pending:
    """A value of a :class:`LazyEstimator`'s state decoded when first read."""

    __slots__ = ("decode",)

    def __init__(self, decode: Callable[[], object]):
        self.decode = decode

    def __call__(self):
        return self.decode()


def _allowed_class(path: str) -> type:
    """The class named ``path`` if a model may hold it: one of ``SKLEARN_CLASSES``, or a
    textmine estimator (a subclass of :class:`textmine._estimator.BaseEstimator` defined
    in a textmine module). Raises ModelError otherwise, before importing anything."""
    from ._estimator import BaseEstimator

    module, _, name = path.rpartition(".")
    if path in SKLEARN_CLASSES or (module.startswith("textmine.") and name.isidentifier()
                                   and not name.startswith("_")):
        cls = getattr(importlib.import_module(module), name, None)
        if isinstance(cls, type) and (path in SKLEARN_CLASSES or issubclass(cls, BaseEstimator)):
            return cls
    raise ModelError(f"class {path!r} is not one a model file may hold")


def _allowed_function(path: str) -> Callable:
    """A module-level function of a textmine module (an analyzer a vectorizer calls)."""
    module, _, name = path.rpartition(".")
    if module.startswith("textmine.") and name.isidentifier():
        func = getattr(importlib.import_module(module), name, None)
        if callable(func) and not isinstance(func, type) and getattr(func, "__module__", None) == module:
            return func
    raise ModelError(f"function {path!r} is not one a model file may hold")


def _build(cls: type, state: dict):
    obj = cls.__new__(cls)
    if hasattr(obj, "__setstate__"):
        obj.__setstate__(state)
    else:
        obj.__dict__.update(state)
    return obj


# -- writing ------------------------------------------------------------------------------
class _Writer:
    """Encodes a tree of objects as JSON with references to arrays."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.compressed: set[str] = set()  # members read whole anyway (text): deflated

    def array(self, value: np.ndarray, *, compress: bool = False) -> str:
        if value.dtype.hasobject:
            raise ModelError(f"cannot store an array of dtype {value.dtype} without pickle")
        name = f"a{len(self.arrays)}"
        self.arrays[name] = np.ascontiguousarray(value)
        if compress:
            self.compressed.add(name)
        return name

    def strings(self, values: list[str]) -> dict:
        if any("\x00" in v for v in values):
            raise ModelError("cannot store a string holding a NUL character")
        blob = np.frombuffer("\x00".join(values).encode("utf-8"), np.uint8)
        return {"$": "strings", "n": len(values), "blob": self.array(blob, compress=True)}

    def encode(self, value):  # noqa: C901 - one branch per kind of value, read top to bottom
        import scipy.sparse as sp

        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and type(value) in (int, float):
            return value
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                return {"$": "objects", "shape": list(value.shape), "items": [self.encode(v) for v in value.ravel().tolist()]}
            return {"$": "array", "ref": self.array(value)}
        if isinstance(value, np.generic):
            return {"$": "scalar", "dtype": value.dtype.str, "value": value.item()}
        if sp.issparse(value):
            value = value.tocsr() if value.format not in ("csr", "csc") else value
            return {"$": "sparse", "format": value.format, "shape": list(value.shape), "data": self.array(value.data),
                    "indices": self.array(value.indices), "indptr": self.array(value.indptr)}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, tuple):
            return {"$": "tuple", "items": [self.encode(v) for v in value]}
        if isinstance(value, (set, frozenset)):
            return {"$": type(value).__name__, "items": [self.encode(v) for v in sorted(value, key=repr)]}
        if isinstance(value, dict):
            return self.mapping(value)
        if isinstance(value, PurePath):
            return {"$": "path", "value": str(value)}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"$": "dtype", "name": np.dtype(value).str}
        if isinstance(value, LazyEstimator):
            return {"$": "object", "class": value._class, "state": self.mapping(value._resolved())}
        if isinstance(value, types.FunctionType):
            path = f"{value.__module__}.{value.__qualname__}"
            _allowed_function(path)
            return {"$": "function", "name": path}
        cls = type(value)
        path = f"{cls.__module__}.{cls.__qualname__}"
        _allowed_class(path)
        state = value.__getstate__()
        if not isinstance(state, dict):
            raise ModelError(f"cannot store {path}: its state is not a dict")
        return {"$": "object", "class": path, "state": self.mapping(state)}

    def mapping(self, value: dict) -> dict:
        keys = list(value)
        if (len(keys) >= _VOCABULARY_MIN and all(type(k) is str for k in keys)
                and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value.values())):
            values = np.fromiter(value.values(), np.int64, len(keys))
            order = np.argsort(values, kind="stable")
            if np.array_equal(values[order], np.arange(len(keys))):  # ids 0..n-1 (columns): keys in id order
                return {"$": "vocabulary", "keys": self.strings([keys[i] for i in order.tolist()]), "values": None}
            return {"$": "vocabulary", "keys": self.strings(keys), "values": self.array(values)}
        return {"$": "dict", "keys": [self.encode(k) for k in keys], "values": [self.encode(v) for v in value.values()]}


def _write_v2(path: Path, tree: object) -> None:
    writer = _Writer()
    encoded = json.dumps(writer.encode(tree), ensure_ascii=False, allow_nan=True).encode("utf-8")
    members = {_TREE: np.frombuffer(encoded, np.uint8), **writer.arrays}
    with zipfile.ZipFile(path, "w", allowZip64=True) as archive:
        for name, array in members.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if name in writer.compressed else zipfile.ZIP_STORED
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


# -- reading ------------------------------------------------------------------------------
class _Reader:
    """Decodes the JSON tree of a format-2 file, arrays memory-mapped from ``path``."""

    def __init__(self, path: Path, members: dict[str, np.ndarray]):
        self.path = path
        self.members = members

    def array(self, name: str) -> np.ndarray:
        try:
            return self.members[name]
        except KeyError:
            raise ModelError(f"{self.path}: the model refers to a missing array {name!r}") from None

    def strings(self, node: dict) -> list[str]:
        values = self.array(node["blob"]).tobytes().decode("utf-8").split("\x00")
        return values if node["n"] else []

    def decode(self, node):  # noqa: C901 - one branch per kind of value
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        kind = node.get("$")
        if kind == "array":
            return self.array(node["ref"])
        if kind == "objects":
            out = np.empty(len(node["items"]), dtype=object)
            out[:] = [self.decode(v) for v in node["items"]]
            return out.reshape(node["shape"])
        if kind == "scalar":
            return _numeric_dtype(node["dtype"]).type(node["value"])
        if kind == "sparse":
            import scipy.sparse as sp

            make = {"csr": sp.csr_matrix, "csc": sp.csc_matrix}[node["format"]]
            return make((self.array(node["data"]), self.array(node["indices"]), self.array(node["indptr"])),
                        shape=tuple(node["shape"]))
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind in ("set", "frozenset"):
            return {"set": set, "frozenset": frozenset}[kind](self.decode(v) for v in node["items"])
        if kind == "dict":
            return dict(zip((self.decode(k) for k in node["keys"]), (self.decode(v) for v in node["values"])))
        if kind == "vocabulary":
            keys = self.strings(node["keys"])
            return dict(zip(keys, range(len(keys)) if node["values"] is None else self.array(node["values"]).tolist()))
        if kind == "path":
            return Path(node["value"])
        if kind == "dtype":
            return _numeric_dtype(node["name"]).type
        if kind == "function":
            return _allowed_function(node["name"])
        if kind == "object":
            if node["class"] in SKLEARN_CLASSES:  # imported when first used, vocabularies decoded when read
                state = node["state"]
                return LazyEstimator(node["class"], dict(zip(
                    (self.decode(k) for k in state["keys"]),
                    (_Pending(functools.partial(self.decode, v)) if isinstance(v, dict) and v.get("$") == "vocabulary"
                     else self.decode(v) for v in state["values"]))))
            cls = _allowed_class(node["class"])
            return _build(cls, self.decode(node["state"]))
        raise ModelError(f"{self.path}: unknown kind of value {kind!r} in the model")


def _numeric_dtype(name: str) -> np.dtype:
    dtype = np.dtype(name)
    if dtype.hasobject:
        raise ModelError(f"dtype {name!r} is not one a model file may hold")
    return dtype


def _members(path: Path) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of an uncompressed archive, memory-mapped read-only (read
    with ``allow_pickle=False`` when it is compressed)."""
    members = {}
    with open(path, "rb") as raw, zipfile.ZipFile(raw) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            with archive.open(info) as member:
                if info.compress_type != zipfile.ZIP_STORED:
                    members[name] = np.lib.format.read_array(member, allow_pickle=False)
                    continue
                major, _ = np.lib.format.read_magic(member)
                read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                shape, fortran, dtype = read_header(member)
                header = member.tell()
            if dtype.hasobject:
                raise ModelError(f"{path}: member {info.filename} holds Python objects (a pickle); refusing it")
            # the member's data starts after its local header (30 bytes, its name, its extra field)
            raw.seek(info.header_offset + 26)
            name_length, extra_length = np.frombuffer(raw.read(4), "<u2").tolist()
            offset = info.header_offset + 30 + name_length + extra_length + header
            count = int(np.prod(shape, dtype=np.int64))
            members[name] = (np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape,
                                       order="F" if fortran else "C") if count else np.zeros(shape, dtype))
    return members


def _read_v2(path: Path, manifest: dict, *, trust_pickle: bool) -> object:
    try:
        members = _members(path)
        tree = json.loads(members.pop(_TREE).tobytes().decode("utf-8"))
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise ModelError(f"{path}: not a readable format-{FORMAT_VERSION} model file ({exc})") from None
    return _Reader(path, members).decode(tree)


def _read_v1(path: Path, manifest: dict, *, trust_pickle: bool) -> object:
    if not trust_pickle:
        raise ModelError(f"{path}: a pickle model file (format 1) can run code when loaded; load it only if you "
                         "trust its source, with --trust-pickle (trust_pickle=True), and save it again to convert it")
    import joblib

    return joblib.load(path)


_READERS = {1: _read_v1, FORMAT_VERSION: _read_v2}


def read_manifest(path: str | Path) -> dict:
    """The manifest beside ``path``.

    Raises
    ------
    ModelError
        When the model file or its manifest is missing or the manifest is not JSON.
    """
    path = Path(path)
    mpath = manifest_path(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    if not mpath.is_file():
        raise ModelError(f"{path}: no manifest {mpath.name} beside it; refusing to load an unchecked model file")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise ModelError(f"{mpath}: manifest is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ModelError(f"{mpath}: manifest is not a JSON object")
    return manifest


def read(path: str | Path, *, trust_pickle: bool = False) -> tuple[object, dict]:
    """Read a model file after checking it against its manifest; returns (tree, manifest).

    Checks, in order: the manifest is there and is JSON; its ``format`` is one this
    textmine reads; the file's SHA-256 is the manifest's ``sha256``; the scikit-learn
    major.minor version is the one installed. A format-1 file (a pickle) is read only
    with ``trust_pickle=True``.

    Raises
    ------
    ModelError
        Naming the file and the field that fails.
    """
    path = Path(path)
    manifest = read_manifest(path)
    mpath = manifest_path(path)
    reader = _READERS.get(manifest.get("format"))
    if reader is None:
        raise ModelError(f"{mpath}: format {manifest.get('format')!r}, this textmine reads formats "
                         f"{', '.join(map(str, sorted(_READERS)))}")
    if manifest.get("sha256") != sha256(path):
        raise ModelError(f"{path}: sha256 does not match its manifest (file changed or corrupt)")
    wanted = str(manifest.get("versions", {}).get("scikit-learn", ""))
    have = versions()["scikit-learn"]
    if _major_minor(wanted) != _major_minor(have):
        raise ModelError(f"{path}: versions.scikit-learn is {wanted}, installed is {have}; "
                         "install the same minor version or retrain")
    return reader(path, manifest, trust_pickle=trust_pickle), manifest


def write(path: str | Path, tree: object, manifest: dict) -> dict:
    """Write ``tree`` (estimators, arrays, sparse matrices, dicts, lists, scalars) as a
    format-2 model file and its manifest beside it, each atomically; returns the
    manifest written (``manifest`` plus format, versions, sha256 and date).

    Raises
    ------
    ModelError
        When the tree holds something the format cannot store (a class not allowed,
        an array of Python objects other than scalars and strings).
    """
    from .io import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        _write_v2(tmp, tree)
        digest = sha256(tmp)
    manifest = {**manifest, "format": FORMAT_VERSION, "versions": versions(), "sha256": digest,
                "saved": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    with atomic_path(manifest_path(path)) as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest
