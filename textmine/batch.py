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
from collections.abc import Callable, Sequence
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


def _die_with_parent(parent: int) -> None:
    """Worker start-up: end this process when the ``parent`` process ends, so that a
    killed run leaves no workers behind. On Linux the kernel sends SIGKILL
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread polls the parent's pid."""
    import os
    import signal

    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    else:
        import threading

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


@contextmanager
def _frozen_heap():
    """Keep every object alive now (above all the loaded model) out of the garbage
    collector's scans while the block runs: collections then look only at what the run
    allocates, and forked workers do not write to, and so copy, the model's pages. When
    the host has frozen objects of its own, its freeze is left as it is."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _count_rows(path: Path, format: str | None) -> int:
    """About how many records a file holds: an upper bound from its lines (CSV, TSV,
    JSON lines: a text may hold line breaks) or its sheets' sizes (a workbook), or
    Parquet's exact count."""
    from .io import detect_format

    fmt = detect_format(path, format)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    if fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        try:
            return sum(max((sheet.max_row or 1) - 1, 0) for sheet in book.worksheets)
        finally:
            book.close()
    count = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            count += block.count(b"\n")
    return max(count - (0 if fmt == "jsonl" else 1), 0)


def _chunks_with_results(chunks, work: Callable, jobs: int):
    """(chunk, new columns) in input order; with ``jobs`` > 1 the work runs in that many
    forked processes, which end with this one, with at most two chunks per process in
    flight."""
    if jobs <= 1:
        for chunk, texts in chunks:
            yield chunk, work(texts)
        return
    import multiprocessing
    import os
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from .errors import WORKER_DIED, TextmineError

    _WORK[:] = [work]
    pending: deque = deque()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        try:
            for chunk, texts in chunks:
                pending.append((chunk, pool.submit(_run_work, texts)))
                if len(pending) >= 2 * jobs:
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
        except BrokenProcessPool as exc:
            raise TextmineError(WORKER_DIED.format(reason=exc)) from exc


def _check_paths(input_path: Path, output_path: Path, format: str | None, sheet: str | None) -> None:
    """Refuse, before any work, an output that is the input or an ``.xlsx`` output that
    cannot hold the input's rows."""
    from .errors import OUTPUT_IS_INPUT, XLSX_TOO_MANY_ROWS, InputError
    from .io import XLSX_MAX_ROWS, detect_format

    if output_path.resolve() == input_path.resolve() or (output_path.exists() and output_path.samefile(input_path)):
        raise InputError(OUTPUT_IS_INPUT, path=str(output_path))
    if detect_format(output_path) != "xlsx" or not input_path.is_file():
        return
    bound = _count_rows(input_path, format)
    if bound >= XLSX_MAX_ROWS:  # the bound is not the count: count the records
        bound = sum(len(c) for c in iter_tables(input_path, format=format, sheet=sheet, chunksize=100_000))
    if bound >= XLSX_MAX_ROWS:
        raise InputError(XLSX_TOO_MANY_ROWS.format(rows=bound, limit=XLSX_MAX_ROWS - 1), path=str(output_path))


def _process_file(input_path, output_path, work: Callable, *, new_columns: list[str], text_col, format, encoding,
                  sheet, chunk_size, progress: Progress, jobs: int = 1, resume: bool = False,
                  options: dict | None = None, formula_guard: bool = False) -> dict:
    """Stream ``input_path`` through ``work`` (texts -> dict of ``new_columns``) into
    ``output_path``; every input row gives one output row, in order, with the input's
    columns unchanged and each new column named so that it overwrites none of them."""
    import warnings

    from .errors import CELLS_REPLACED, InputWarning
    from .io import detect_format, first_row_number, prefixed

    input_path, output_path = Path(input_path), Path(output_path)
    _check_paths(input_path, output_path, format, sheet)
    if (progress.enabled and progress.total is None) or jobs > 1:
        total = _count_rows(input_path, format)
        progress.total = progress.total or total
        if jobs > 1 and total:  # a small file still gives every process several chunks
            chunk_size = max(1, min(chunk_size, -(-total // (4 * jobs))))
    found: list[str] = []
    names: dict[str, str] = {}

    def pieces(skip: int):
        for chunk in iter_tables(input_path, format=format, encoding=encoding, chunksize=chunk_size, sheet=sheet):
            if not found:
                found.append(find_text_column(list(chunk.columns), text_col, path=input_path))
                names.update(prefixed(new_columns, list(chunk.columns)))
            if skip and skip >= len(chunk):
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
    with _frozen_heap(), TableWriter(output_path, resume=resume, source=input_path, options=options,
                                     formula_guard=formula_guard) as writer:
        skipped = writer.rows
        progress.update(skipped)
        for (chunk, read_errors), columns in _chunks_with_results(pieces(skipped), work, jobs):
            columns["error"] = [r or e for r, e in zip(read_errors, columns["error"])]
            out = chunk.assign(**{names[name]: values for name, values in columns.items()})
            errors += sum(1 for e in columns["error"] if e)
            writer.write(out)
            rows += len(out)
            progress.update(len(out))
    progress.close()
    if writer.replaced:
        warnings.warn(InputWarning(CELLS_REPLACED.format(path=output_path, count=writer.replaced,
                                                         format=writer.format)), stacklevel=3)
    first = first_row_number(detect_format(input_path, format))
    return {"input": str(input_path), "output": str(output_path), "rows": rows + skipped, "resumed_after": skipped,
            "errors": errors, "text_column": found[0] if found else None, "columns": names, "first_row": first,
            "replaced_cells": writer.replaced, "seconds": round(time.monotonic() - start, 3)}


def classify_file(input_path: str | Path, output_path: str | Path, *, model=None, text_col: str | None = None,
                  format: str | None = None, encoding: str | None = None, sheet: str | None = None,
                  sentiment: str = "model", chunk_size: int = 2_000, jobs: int | None = None, resume: bool = False,
                  formula_guard: bool = False, progress: Progress | None = None) -> dict:
    """Classify every comment of ``input_path`` and write ``output_path``: the input's
    columns, unchanged, plus ``categories``, ``sentiment``, ``sentiment_label``,
    ``evidence`` and ``error``, one output row per input row, in order. A new column
    whose name an input column already has gets the prefix ``textmine_``
    (:func:`textmine.io.prefixed`). Memory stays bounded.

    Parameters
    ----------
    model : ModelBundle, optional
        Defaults to the shipped model.
    sheet : str, optional
        Read only this sheet of a workbook (default: every sheet).
    sentiment : {"model", "snownlp"}
        Which comment sentiment scorer to use.
    jobs : int, optional
        Worker processes (default: all cores); they end when this process ends.
    resume : bool
        Continue an interrupted run from its checkpoint instead of starting over; refused
        when the model, the scorer or the reading options differ from that run's.
    formula_guard : bool
        In CSV/TSV output, put ``'`` before a text starting with ``= + - @`` (see
        :func:`textmine.io.sanitise`); an ``.xlsx`` text is always a text cell.

    Returns
    -------
    dict
        ``rows``, ``errors`` (rows with an error), ``text_column``, ``columns`` (each new
        column's name in the output), ``replaced_cells``, ``seconds``.

    Raises
    ------
    InputError
        Before any work: the output is the input, another run writes the same output,
        an ``.xlsx`` output cannot hold the rows, the text column is missing or named
        twice; a resume with other options.
    """
    import os

    from .bundle import RESULT_COLUMNS, load_model, result_columns
    from .errors import BAD_CHOICE, InputError
    from .sentiment import SnowNLPScorer

    if sentiment not in ("model", "snownlp"):
        raise InputError(BAD_CHOICE.format(name="sentiment", value=sentiment, allowed="model, snownlp"))
    model = model or load_model()
    scorer = SnowNLPScorer().fit() if sentiment == "snownlp" else None

    def work(texts: list) -> dict:
        return result_columns(model.analyze(texts, sentiment=scorer))

    options = {"model": model.manifest.get("sha256"), "sentiment": sentiment, "text_col": text_col,
               "format": format, "encoding": encoding, "sheet": sheet, "formula_guard": formula_guard}
    return _process_file(input_path, output_path, work, new_columns=list(RESULT_COLUMNS), text_col=text_col,
                         format=format, encoding=encoding, sheet=sheet, chunk_size=chunk_size,
                         progress=progress or Progress("classify"), jobs=jobs or os.cpu_count() or 1, resume=resume,
                         options=options, formula_guard=formula_guard)


def segment_file(input_path: str | Path, output_path: str | Path, *, segmenter=None, text_col: str | None = None,
                 format: str | None = None, encoding: str | None = None, sheet: str | None = None,
                 chunk_size: int = 5_000, jobs: int | None = 1, formula_guard: bool = False,
                 progress: Progress | None = None) -> dict:
    """Write ``output_path``: the input's columns plus ``tokens`` (space-separated),
    ``clauses`` (``|``-separated) and ``error``, named and checked as in
    :func:`classify_file`."""
    from .errors import EMPTY_TEXT
    from .segment import Segmenter

    segmenter = segmenter or Segmenter()

    def work(texts: list) -> dict:
        docs = segmenter.transform(texts)
        return {"tokens": [" ".join(d.tokens) for d in docs], "clauses": ["|".join(d.clauses) for d in docs],
                "error": ["" if d.text else EMPTY_TEXT for d in docs]}

    return _process_file(input_path, output_path, work, new_columns=["tokens", "clauses", "error"],
                         text_col=text_col, format=format, encoding=encoding, sheet=sheet, chunk_size=chunk_size,
                         progress=progress or Progress("segment"), jobs=jobs or 1, formula_guard=formula_guard)


def _results_from_classified(frame, text_col: str) -> list:
    """Rebuild Results from the columns ``classify`` writes (see :meth:`Result.from_row`)."""
    from .bundle import RESULT_COLUMNS, Result

    columns = [c for c in RESULT_COLUMNS if c in frame.columns]
    return [Result.from_row(row, text=text)
            for text, row in zip(frame[text_col], frame[columns].to_dict("records"))]


def read_results(input_path: str | Path, *, model=None, text_col: str | None = None, columns: Sequence = (),
                 format: str | None = None, encoding: str | None = None, progress: Progress | None = None):
    """Read a dump and the Result of each comment (see :func:`results_for_table`):
    ``(frame, text column, results)``.

    Raises
    ------
    InputError
        When the text column or one of ``columns`` (names, None skipped) is missing."""
    from .io import read_table

    frame = read_table(input_path, format=format, encoding=encoding)
    col = find_text_column(list(frame.columns), text_col, path=input_path)
    require_columns(frame, columns, path=input_path)
    return frame, col, results_for_table(frame, col, model=model, progress=progress)


def require_columns(frame, names, *, path: str | Path) -> None:
    """Raise an :class:`~textmine.errors.InputError` naming ``path`` and the columns
    found when a name of ``names`` (None entries are skipped) is not a column."""
    from .errors import MISSING_COLUMN, InputError

    for name in names:
        if name is not None and name not in frame.columns:
            raise InputError(MISSING_COLUMN.format(column=name, columns=", ".join(map(repr, frame.columns))),
                             path=str(path))


def results_for_table(frame, text_col: str, *, model=None, progress: Progress | None = None) -> list:
    """One Result per row of ``frame``, in order: rebuilt from the columns ``classify``
    writes when the table has ``categories`` and ``sentiment``, else analysed with
    ``model`` (default: the shipped model) 20,000 rows at a time."""
    if "categories" in frame.columns and "sentiment" in frame.columns:
        return _results_from_classified(frame, text_col)
    from .bundle import load_model

    model = model or load_model()
    progress = progress or Progress("classify")
    results = []
    for start in range(0, len(frame), 20_000):
        results += model.analyze(frame[text_col].iloc[start:start + 20_000].tolist())
        progress.update(min(20_000, len(frame) - start))
    progress.close()
    return results


def summarize_file(input_path: str | Path, outdir: str | Path, *, model=None, text_col: str | None = None,
                   date_col: str | None = None, group_col: str | None = None, format: str | None = None,
                   encoding: str | None = None, keep_all: bool = False, labels: str = "en",
                   progress: Progress | None = None, score_col: str | None = None, scale: str = "auto",
                   servqual_map: str | Path | None = None):
    """Summarise a dump into ``outdir`` (see :func:`textmine.report.write`, which gets
    ``labels``).

    ``input_path`` is either the output of :func:`classify_file` or a raw dump (see
    :func:`read_results`). The dates of ``date_col`` are read by
    :func:`textmine.dates.read_dates`; the pain points quote the comments as written.
    ``servqual.csv`` is written too (:func:`textmine.servqual.write_servqual`;
    ``servqual_map`` is a mapping file of one's own), and with ``score_col``
    ``scores.csv`` and ``drivers.csv`` (:func:`textmine.drivers.write_scores`; unusable
    scores join the data-quality table). Returns ``(summary, files)``.

    Raises
    ------
    InputError
        When a named column is missing, or ``date_col`` holds no readable date."""
    from . import report
    from .bundle import load_model
    from .dates import read_dates
    from .drivers import write_scores
    from .servqual import read_mapping, write_servqual
    from .summarize import summarize

    mapping = read_mapping(servqual_map) if servqual_map else None
    model = model or load_model()
    frame, col, results = read_results(input_path, model=model, text_col=text_col,
                                       columns=(date_col, group_col, score_col), format=format, encoding=encoding,
                                       progress=progress or Progress("summarize"))
    dates = read_dates(frame[date_col].tolist(), column=date_col, path=str(input_path)).stamps if date_col else None
    groups = frame[group_col].tolist() if group_col else None
    summary = summarize(results, dates=dates, groups=groups, originals=frame[col].tolist(),
                        rows=frame.attrs.get("rows"), keep_all=keep_all, segmenter=model.segmenter,
                        sentiment=model.sentiment, classifier=model.classifier)
    files, section = write_servqual(results, outdir, mapping)
    sections, problems = [section], []
    if score_col:
        periods = None
        if dates is not None and summary.period:
            import pandas as pd

            stamps = pd.to_datetime(pd.Series(dates, dtype=object), errors="coerce")
            periods = stamps.dt.to_period(summary.period).astype(str).where(stamps.notna(), "").tolist()
        more, section, problems = write_scores(results, frame[score_col].tolist(), outdir, column=score_col,
                                               scale=scale, periods=periods, groups=groups)
        files.update(more)
        sections.append(section)
    files.update(report.write(summary, outdir, labels=labels, sections=tuple(sections), extra_quality=tuple(problems)))
    return summary, files
