"""Classify and summarise a partitioned dump on a Dask cluster: one task per partition.

A dump too large for one machine is a folder (or glob) of CSV, TSV, JSON-lines or
Parquet partitions. :func:`classify_partitions` classifies each partition on a Dask
worker exactly as ``textmine classify`` would classify that file, writes it to
``OUTDIR/<partition>.parquet`` atomically and, when every partition is written, a
``_SUCCESS`` marker listing them. :func:`analyze` does the same for a Dask DataFrame
already in memory. :func:`summarize_partitions` writes the report of such a folder from
counts made on the workers (:class:`~textmine.summarize.Tally`) and combined, so that no
process holds all the comments. Workers load the model once per process (a cache keyed by the
model's SHA-256), never receive it with a task, and must see the model file at the
same path (the shipped model is found in each worker's own install).

Dask and distributed are optional: ``pip install "textmine[dask]"``.
"""
from __future__ import annotations

import glob
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from .errors import InputError

__all__ = ["ModelRef", "partitions", "analyze", "classify_partitions", "summarize_partitions", "read_outputs",
           "SUCCESS_MARKER"]

SUCCESS_MARKER = "_SUCCESS"
_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".ndjson", ".parquet", ".pq", ".txt")


class ModelRef(NamedTuple):
    """What a worker needs to load a model itself: its path (``None``: the shipped
    model) and its SHA-256, which keys the worker's cache."""

    path: str | None
    sha256: str

    @classmethod
    def of(cls, path: str | Path | None = None) -> "ModelRef":
        """The reference of the model file at ``path`` (``None``: the shipped model), its
        SHA-256 read from the manifest beside it."""
        from .bundle import DEFAULT_MODEL, manifest_path
        from .errors import ModelError
        from .resources import resource_path

        file = Path(path).resolve() if path is not None else resource_path("models", DEFAULT_MODEL)
        try:
            sha = json.loads(manifest_path(file).read_text(encoding="utf-8"))["sha256"]
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{file}: no readable manifest with a sha256 beside it ({exc})") from exc
        return cls(str(file) if path is not None else None, sha)


_models: dict[ModelRef, object] = {}
_models_lock = threading.Lock()


def _model(ref: ModelRef):
    """The model ``ref`` names, loaded once per process."""
    from .bundle import load_model
    from .errors import ModelError

    with _models_lock:
        if ref not in _models:
            model = load_model(ref.path)
            if ref.sha256 and model.manifest.get("sha256") != ref.sha256:
                raise ModelError(f"{ref.path or 'the shipped model'}: this worker's copy has sha256 "
                                 f"{model.manifest.get('sha256')}, the client's {ref.sha256}")
            _models[ref] = model
        return _models[ref]


def partitions(source: str | Path) -> list[Path]:
    """The partition files of ``source``: the file itself, the table files of a folder
    (sorted by name; hidden files and ``_``-prefixed markers skipped), or the files a glob
    pattern matches (sorted).

    Raises
    ------
    InputError
        When nothing matches.
    """
    text = str(source)
    path = Path(text)
    if path.is_file():
        found = [path]
    elif path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES
                       and not p.name.startswith((".", "_")))
    else:
        found = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
    if not found:
        raise InputError("no CSV, TSV, JSON-lines or Parquet partition found", path=text)
    return found


def _output_name(part: Path, taken: set[str]) -> str:
    name = part.stem + ".parquet"
    k = 1
    while name in taken:  # a.csv and a.parquet in one folder
        k += 1
        name = f"{part.stem}.{k}.parquet"
    taken.add(name)
    return name


def _classify_partition(part: str, out: str, ref: ModelRef, options: dict) -> dict:
    """Worker side: classify one partition file into one Parquet file."""
    from .batch import Progress, classify_file

    try:
        return classify_file(part, out, model=_model(ref), jobs=1, progress=Progress("", enabled=False), **options)
    except Exception as exc:  # reported by partition name; the other partitions go on
        return {"input": part, "output": out, "failed": f"{part}: {exc}"}


def _client(scheduler: str | None):
    """A client of the scheduler at ``scheduler``, or of a new local cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InputError('the Dask path needs the extra: pip install "textmine[dask]"') from exc
    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None)
    return Client(cluster), cluster


def classify_partitions(source: str | Path, outdir: str | Path, *, scheduler: str | None = None,
                        model: str | Path | None = None, text_col: str | None = None,
                        format: str | None = None, encoding: str | None = None, sentiment: str = "model",
                        chunk_size: int = 2_000, resume: bool = False, retries: int = 3) -> dict:
    """Classify every partition of ``source`` on a Dask cluster into ``outdir``.

    Each partition ``name.ext`` becomes ``outdir/name.parquet``: its rows, in order, with
    the columns :func:`textmine.batch.classify_file` adds, written atomically. When every
    partition is written, ``outdir/_SUCCESS`` (JSON: partitions, rows, model SHA-256)
    marks the job complete. A task lost with a dying worker is run again (``retries``);
    its output is only renamed into place when complete, so no row is lost or doubled.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); ``None`` starts a local
        cluster of one worker process per core.
    model : str or Path, optional
        The model file (default: the shipped model); each worker loads its own copy from
        the same path and checks it against the manifest's SHA-256.
    resume : bool
        Skip partitions whose output file already exists.

    Returns
    -------
    dict
        ``partitions``, ``written``, ``skipped``, ``rows`` (written now), ``errors``
        (rows with an error), ``failed`` (one line per unreadable partition).

    Raises
    ------
    InputError
        When ``source`` has no partition, or ``outdir`` holds outputs and ``resume`` is off.
    """
    parts = partitions(source)
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError("the output of a partitioned run must be a folder", path=str(outdir))
    outdir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    targets = [outdir / _output_name(p, taken) for p in parts]
    if not resume and any(t.exists() for t in targets):
        raise InputError("the output folder already holds partitions; give --resume to skip them or choose "
                         "another folder", path=str(outdir))
    (outdir / SUCCESS_MARKER).unlink(missing_ok=True)
    ref = ModelRef.of(model)
    options = dict(text_col=text_col, format=format, encoding=encoding, sentiment=sentiment, chunk_size=chunk_size)
    todo = [(p, t) for p, t in zip(parts, targets) if not (resume and t.exists())]
    client, cluster = _client(scheduler)
    try:
        futures = [client.submit(_classify_partition, str(p), str(t), ref, options, pure=False, retries=retries)
                   for p, t in todo]
        done = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    failed = [d["failed"] for d in done if "failed" in d]
    summary = {"partitions": len(parts), "written": len(done) - len(failed), "skipped": len(parts) - len(todo),
               "rows": sum(d.get("rows", 0) for d in done), "errors": sum(d.get("errors", 0) for d in done),
               "failed": failed, "output": str(outdir)}
    if not failed:
        from .io import atomic_path

        marker = {"partitions": [t.name for t in targets], "model_sha256": ref.sha256}
        with atomic_path(outdir / SUCCESS_MARKER) as tmp:
            tmp.write_text(json.dumps(marker, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary


def _analyze_partition(frame, ref: ModelRef, text_col: str | None):
    return _model(ref).analyze_frame(frame, text_col)


def analyze(ddf, text_col: str | None = None, *, model: str | Path | None = None):
    """A lazy Dask DataFrame: ``ddf`` with the columns
    :meth:`~textmine.bundle.ModelBundle.analyze_frame` adds, computed partition by
    partition on the workers, each loading the model file ``model`` (default: the
    shipped model) once per process."""
    import pandas as pd

    ref = ModelRef.of(model)
    meta = ddf._meta.assign(categories=pd.Series(dtype=str), sentiment=pd.Series(dtype=float),
                            sentiment_label=pd.Series(dtype=str), evidence=pd.Series(dtype=str),
                            error=pd.Series(dtype=str))
    return ddf.map_partitions(_analyze_partition, ref, text_col, meta=meta)


def read_outputs(outdir: str | Path, columns: Sequence[str] | None = None):
    """The classified partitions of ``outdir`` as one pandas DataFrame, in partition
    order (for checks and small outputs; large ones are read with Dask)."""
    import pandas as pd

    files = sorted(p for p in Path(outdir).glob("*.parquet"))
    return pd.concat([pd.read_parquet(f, columns=columns) for f in files], ignore_index=True)


class _Part(NamedTuple):
    """A partition as a worker holds it between the steps of a summary."""

    frame: object
    results: list
    text_col: str


def _load_part(part: str, ref: ModelRef, options: dict) -> _Part:
    """Worker side: read one partition and its Results (from the columns ``classify``
    wrote, else by analysing it)."""
    from .batch import Progress, read_results

    frame, col, results = read_results(part, model=_model(ref), text_col=options["text_col"],
                                       columns=(options["date_col"], options["group_col"]), format=options["format"],
                                       encoding=options["encoding"], progress=Progress("", enabled=False))
    return _Part(frame, results, col)


def _quality_keys(loaded: _Part) -> list:
    from .summarize import NearDuplicates, quality_key

    index = NearDuplicates()
    return [quality_key(r.text, index) for r in loaded.results]


def _texts(loaded: _Part, positions: Sequence[int]) -> dict[int, str]:
    return {k: loaded.results[k].text for k in positions}


def _row_labels(loaded: _Part, name: str, positions: Sequence[int]) -> dict[int, str]:
    rows = loaded.frame.attrs.get("rows") or range(1, len(loaded.results) + 1)
    return {k: f"{name}:{rows[k]}" for k in positions}


def _tally(loaded: _Part, ref: ModelRef, offset: int, excluded: set, options: dict):
    from .dates import parse_date
    from .summarize import _PhraseJudge, tally

    model, frame = _model(ref), loaded.frame
    date_col, group_col = options["date_col"], options["group_col"]
    return tally(loaded.results, positions=range(offset, offset + len(loaded.results)), excluded=excluded,
                 days=[parse_date(v) for v in frame[date_col]] if date_col else None,
                 groups=frame[group_col].tolist() if group_col else None, originals=frame[loaded.text_col].tolist(),
                 segmenter=model.segmenter, judge=_PhraseJudge(model.segmenter, model.sentiment, model.classifier))


def _quality(client, loaded: list, keys: list[list], offsets: list[int]):
    """The data quality of the whole dump from each partition's keys: the texts of the
    few comments that share a MinHash band are fetched to check them exactly."""
    from collections import defaultdict

    from .summarize import jaccard, quality_of_keys

    buckets: dict = defaultdict(list)
    for offset, part in zip(offsets, keys):
        for k, key in enumerate(part):
            for band in key.bands or ():
                buckets[band].append(offset + k)
    wanted = sorted({i for members in buckets.values() if len(members) > 1 for i in members})
    texts: dict[int, str] = {}
    for p, offset in enumerate(offsets):
        local = [i - offset for i in wanted if offset <= i < offset + len(keys[p])]
        if local:
            texts.update((offset + k, t) for k, t in client.submit(_texts, loaded[p], local).result().items())
    pairs = ((offset + k, key) for offset, part in zip(offsets, keys) for k, key in enumerate(part))
    return quality_of_keys(pairs, lambda i, j: jaccard(texts[i], texts[j]) >= 0.8)


def summarize_partitions(source: str | Path, outdir: str | Path, *, scheduler: str | None = None,
                         model: str | Path | None = None, text_col: str | None = None, date_col: str | None = None,
                         group_col: str | None = None, format: str | None = None, encoding: str | None = None,
                         keep_all: bool = False, labels: str = "en"):
    """Summarise every partition of ``source`` into one report in ``outdir``, as
    :func:`textmine.batch.summarize_file` summarises one file.

    Each worker reads its partitions (the output of :func:`classify_partitions` or raw
    comments, analysed there), finds the data-quality keys of their comments and, once
    the client has found the duplicates of the whole dump from those keys, counts them
    into a :class:`~textmine.summarize.Tally`; the client combines the tallies. Comment
    positions run across the partitions in order, so the Pareto, pain-point, trend and
    group tables are those of a local run on the partitions put end to end. Data-quality
    rows are numbered ``partition:row``. The client holds each comment's data-quality
    key (a digest and its MinHash bands), never the comments.

    Returns ``(summary, files)`` like :func:`~textmine.batch.summarize_file`.

    Raises
    ------
    InputError
        When ``source`` has no partition, a named column is missing, or ``date_col``
        holds no readable date in any partition.
    """
    from functools import reduce

    from . import report
    from .errors import NO_READABLE_DATE
    from .summarize import summarize_tally

    parts = partitions(source)
    ref = ModelRef.of(model)
    options = dict(text_col=text_col, date_col=date_col, group_col=group_col, format=format, encoding=encoding)
    client, cluster = _client(scheduler)
    try:
        loaded = [client.submit(_load_part, str(p), ref, options, pure=False, retries=3) for p in parts]
        keys = client.gather([client.submit(_quality_keys, part, retries=3) for part in loaded])
        offsets = [0]
        for part in keys[:-1]:
            offsets.append(offsets[-1] + len(part))
        quality = _quality(client, loaded, keys, offsets)
        excluded = set() if keep_all else quality.excluded
        tallies = client.gather([
            client.submit(_tally, part, ref, offset, {i for i in excluded if offset <= i < offset + len(k)}, options,
                          retries=3)
            for part, offset, k in zip(loaded, offsets, keys)])
        listed = sorted({i for pair in quality.duplicates + quality.near_duplicates for i in pair}
                        | set(quality.meaningless) | set(quality.empty))
        texts: dict[int, str] = {}
        rows: dict[int, object] = {}
        for p, (part, offset, k) in enumerate(zip(loaded, offsets, keys)):
            local = [i - offset for i in listed if offset <= i < offset + len(k)]
            if local:
                texts.update((offset + j, t) for j, t in client.submit(_texts, part, local).result().items())
                rows.update((offset + j, r) for j, r in
                            client.submit(_row_labels, part, parts[p].name, local).result().items())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    total = reduce(lambda a, b: a.combine(b), tallies)
    if date_col and total.comments and not total.dates_readable:
        raise InputError(NO_READABLE_DATE.format(column=date_col, rows=total.comments, examples="(none readable)"),
                         path=str(source))
    summary = summarize_tally(total, quality=quality, texts=texts, rows=rows, dates=date_col is not None,
                              groups=group_col is not None)
    return summary, report.write(summary, outdir, labels=labels)
