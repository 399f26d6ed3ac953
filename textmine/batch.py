"""Whole files in, whole files out: the work behind ``textmine classify``,
``textmine segment`` and ``textmine summarize``.

Files are streamed in chunks, so memory stays bounded; every input row gives exactly one
output row, in input order, with the input's columns kept and an ``error`` column saying
why a row could not be analysed. Output is written atomically.
"""
from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from .io import TableWriter, find_text_column, iter_tables

__all__ = ["Progress", "classify_file", "segment_file", "summarize_file"]


class Progress:
    """A one-line progress report on a stream: rows, rows per second, elapsed time.

    Silent when ``enabled`` is false; by default it is enabled only when ``stream`` is
    a terminal.
    """

    def __init__(self, label: str, *, total: int | None = None, stream: TextIO | None = None,
                 enabled: bool | None = None, every: float = 0.5):
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.every = every
        self.rows = 0
        self._start = time.monotonic()
        self._last = 0.0

    def update(self, rows: int) -> None:
        """Count ``rows`` more rows done; redraw at most every ``every`` seconds."""
        self.rows += rows
        now = time.monotonic()
        if self.enabled and now - self._last >= self.every:
            self._last = now
            self._draw(now)

    def _draw(self, now: float, end: str = "\r") -> None:
        elapsed = max(now - self._start, 1e-9)
        rate = self.rows / elapsed
        line = f"{self.label}: {self.rows:,} rows, {rate:,.0f} rows/s, {elapsed:,.0f}s"
        if self.total:
            left = (self.total - self.rows) / rate if rate else 0
            line += f", {self.rows / self.total:.0%}, {left:,.0f}s left"
        self.stream.write(line + end)
        self.stream.flush()

    def close(self) -> None:
        """Draw the final line."""
        if self.enabled:
            self._draw(time.monotonic(), end="\n")


_WORK: list[Callable] = []  # the per-chunk function, inherited by forked workers


def _run_work(texts: list) -> dict:
    return _WORK[0](texts)


@contextmanager
def _frozen_heap():
    """Keep every object alive now (above all the loaded model) out of the garbage
    collector's scans while the block runs: collections then look only at what the run
    allocates, and forked workers do not write to, and so copy, the model's pages."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _count_rows(path: Path, format: str | None) -> int | None:
    """About how many records a file holds (lines, for CSV/TSV/JSON lines), or None."""
    from .io import detect_format

    fmt = detect_format(path, format)
    if fmt not in ("csv", "tsv", "jsonl"):
        return None
    count = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            count += block.count(b"\n")
    return max(count - (0 if fmt == "jsonl" else 1), 0)


def _chunks_with_results(chunks, work: Callable, jobs: int):
    """(chunk, new columns) in input order; with ``jobs`` > 1 the work runs in that many
    forked processes, with at most two chunks per process in flight."""
    if jobs <= 1:
        for chunk, texts in chunks:
            yield chunk, work(texts)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    _WORK[:] = [work]
    pending: deque = deque()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        for chunk, texts in chunks:
            pending.append((chunk, pool.submit(_run_work, texts)))
            if len(pending) >= 2 * jobs:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def _process_file(input_path, output_path, work: Callable, *, text_col, format, encoding, chunk_size,
                  progress: Progress, jobs: int = 1, resume: bool = False) -> dict:
    """Stream ``input_path`` through ``work`` (texts -> dict of new columns) into
    ``output_path``; every input row gives one output row, in order."""
    from .io import first_row_number, detect_format

    input_path = Path(input_path)
    if (progress.enabled and progress.total is None) or jobs > 1:
        total = _count_rows(input_path, format)
        progress.total = progress.total or total
        if jobs > 1 and total:  # a small file still gives every process several chunks
            chunk_size = max(1, min(chunk_size, -(-total // (4 * jobs))))
    found: list[str] = []

    def pieces(skip: int):
        for chunk in iter_tables(input_path, format=format, encoding=encoding, chunksize=chunk_size):
            if not found:
                found.append(find_text_column(list(chunk.columns), text_col, path=input_path))
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            # take the per-row read errors out of attrs: pandas deep-copies attrs on every
            # operation, which costs more than the rest of the parent's work
            read_errors = chunk.attrs.pop("read_errors", None) or [""] * len(chunk)
            chunk.attrs.clear()
            if skip:
                chunk, read_errors = chunk.iloc[skip:].reset_index(drop=True), read_errors[skip:]
                skip = 0
            yield (chunk, read_errors), chunk[found[0]].tolist()

    rows = errors = 0
    start = time.monotonic()
    with _frozen_heap(), TableWriter(output_path, resume=resume, source=input_path) as writer:
        skipped = writer.rows
        progress.update(skipped)
        for (chunk, read_errors), columns in _chunks_with_results(pieces(skipped), work, jobs):
            columns["error"] = [r or e for r, e in zip(read_errors, columns["error"])]
            out = chunk.assign(**columns)
            errors += sum(1 for e in out["error"] if e)
            writer.write(out)
            rows += len(out)
            progress.update(len(out))
    progress.close()
    first = first_row_number(detect_format(input_path, format))
    return {"input": str(input_path), "output": str(output_path), "rows": rows + skipped, "resumed_after": skipped,
            "errors": errors, "text_column": found[0] if found else None, "first_row": first,
            "seconds": round(time.monotonic() - start, 3)}


def classify_file(input_path: str | Path, output_path: str | Path, *, model=None, text_col: str | None = None,
                  format: str | None = None, encoding: str | None = None, sentiment: str = "model",
                  chunk_size: int = 2_000, jobs: int | None = None, resume: bool = False,
                  progress: Progress | None = None) -> dict:
    """Classify every comment of ``input_path`` and write ``output_path``: the input's
    columns plus ``categories``, ``sentiment``, ``sentiment_label``, ``evidence`` and
    ``error``, one output row per input row, in order. Memory stays bounded.

    Parameters
    ----------
    model : ModelBundle, optional
        Defaults to the shipped model.
    sentiment : {"model", "snownlp"}
        Which comment sentiment scorer to use.
    jobs : int, optional
        Worker processes (default: all cores).
    resume : bool
        Continue an interrupted run from its checkpoint instead of starting over.

    Returns
    -------
    dict
        ``rows``, ``errors`` (rows with an error), ``text_column``, ``seconds``.
    """
    import os

    from .bundle import load_model
    from .errors import BAD_CHOICE, InputError
    from .sentiment import SnowNLPScorer

    if sentiment not in ("model", "snownlp"):
        raise InputError(BAD_CHOICE.format(name="sentiment", value=sentiment, allowed="model, snownlp"))
    model = model or load_model()
    scorer = SnowNLPScorer().fit() if sentiment == "snownlp" else None

    def work(texts: list) -> dict:
        results = model.analyze(texts, sentiment=scorer)
        return {"categories": [r.labels for r in results], "sentiment": [r.sentiment for r in results],
                "sentiment_label": [r.sentiment_label for r in results],
                "evidence": [r.evidence_text for r in results], "error": [r.error or "" for r in results]}

    return _process_file(input_path, output_path, work, text_col=text_col, format=format, encoding=encoding,
                         chunk_size=chunk_size, progress=progress or Progress("classify"),
                         jobs=jobs or os.cpu_count() or 1, resume=resume)


def segment_file(input_path: str | Path, output_path: str | Path, *, segmenter=None, text_col: str | None = None,
                 format: str | None = None, encoding: str | None = None, chunk_size: int = 5_000,
                 jobs: int | None = 1, progress: Progress | None = None) -> dict:
    """Write ``output_path``: the input's columns plus ``tokens`` (space-separated),
    ``clauses`` (``|``-separated) and ``error``."""
    from .errors import EMPTY_TEXT
    from .segment import Segmenter

    segmenter = segmenter or Segmenter()

    def work(texts: list) -> dict:
        docs = segmenter.transform(texts)
        return {"tokens": [" ".join(d.tokens) for d in docs], "clauses": ["|".join(d.clauses) for d in docs],
                "error": ["" if d.text else EMPTY_TEXT for d in docs]}

    return _process_file(input_path, output_path, work, text_col=text_col, format=format, encoding=encoding,
                         chunk_size=chunk_size, progress=progress or Progress("segment"), jobs=jobs or 1)


def _results_from_classified(frame, text_col: str) -> list:
    """Rebuild Results from the columns ``classify`` writes (categories, sentiment,
    evidence, error)."""
    from .bundle import Result
    from .normalise import normalise_text
    from .sentiment import sentiment_label
    from .taxonomy import parse_labels

    results = []
    for text, cats, score, evidence, error in zip(frame[text_col], frame["categories"], frame["sentiment"],
                                                  frame.get("evidence", [""] * len(frame)),
                                                  frame.get("error", [""] * len(frame))):
        labels = {c: (p if p is not None else 0) for c, p in parse_labels(cats).items()} if str(cats).strip() else {}
        ev = dict(part.partition(":")[::2] for part in str(evidence).split("|") if ":" in part)
        value = float(score) if str(score).strip() else 0.5
        results.append(Result(normalise_text(text), labels, {}, ev, value, sentiment_label(value), str(error) or None))
    return results


def summarize_file(input_path: str | Path, outdir: str | Path, *, model=None, text_col: str | None = None,
                   date_col: str | None = None, group_col: str | None = None, format: str | None = None,
                   encoding: str | None = None, keep_all: bool = False, progress: Progress | None = None):
    """Summarise a dump into ``outdir`` (see :func:`textmine.report.write`).

    ``input_path`` is either the output of :func:`classify_file` (it has a
    ``categories`` column) or a raw dump, which is classified first with ``model``
    (default: the shipped model). Returns ``(summary, files)``."""
    from . import report
    from .bundle import load_model
    from .errors import MISSING_COLUMN, InputError
    from .io import read_table
    from .summarize import summarize

    frame = read_table(input_path, format=format, encoding=encoding)
    col = find_text_column(list(frame.columns), text_col, path=input_path)
    for name in (date_col, group_col):
        if name is not None and name not in frame.columns:
            raise InputError(MISSING_COLUMN.format(column=name, columns=", ".join(map(repr, frame.columns))),
                             path=str(input_path))
    progress = progress or Progress("summarize")
    model = model or load_model()
    if "categories" in frame.columns and "sentiment" in frame.columns:
        results = _results_from_classified(frame, col)
    else:
        results = []
        for start in range(0, len(frame), 20_000):
            results += model.analyze(frame[col].iloc[start:start + 20_000].tolist())
            progress.update(min(20_000, len(frame) - start))
        progress.close()
    summary = summarize(results, dates=frame[date_col].tolist() if date_col else None,
                        groups=frame[group_col].tolist() if group_col else None, keep_all=keep_all,
                        segmenter=model.segmenter, sentiment=model.sentiment)
    return summary, report.write(summary, outdir)
