"""Whole files in, whole files out: the work behind ``textmine classify`` and
``textmine segment``.

Files are streamed in chunks, so memory stays bounded; every input row gives exactly one
output row, in input order, with the input's columns kept and an ``error`` column saying
why a row could not be analysed. Output is written atomically.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .io import TableWriter, find_text_column, iter_tables

__all__ = ["Progress", "classify_file", "segment_file"]


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


def _process_file(input_path, output_path, work: Callable, *, text_col, format, encoding,
                  chunk_size, progress: Progress) -> dict:
    rows = errors = 0
    col = None
    with TableWriter(output_path) as writer:
        for chunk in iter_tables(input_path, format=format, encoding=encoding, chunksize=chunk_size):
            if col is None:
                col = find_text_column(list(chunk.columns), text_col, path=input_path)
            out = work(chunk, col)
            errors += int((out["error"] != "").sum())
            writer.write(out)
            rows += len(out)
            progress.update(len(out))
    progress.close()
    return {"input": str(input_path), "output": str(output_path), "rows": rows, "errors": errors,
            "text_column": col, "seconds": round(time.monotonic() - progress._start, 3)}


def classify_file(input_path: str | Path, output_path: str | Path, *, model=None, text_col: str | None = None,
                  format: str | None = None, encoding: str | None = None, sentiment: str = "model",
                  chunk_size: int = 20_000, progress: Progress | None = None) -> dict:
    """Classify every comment of ``input_path`` and write ``output_path``: the input's
    columns plus ``categories``, ``sentiment``, ``sentiment_label``, ``evidence`` and
    ``error``.

    Parameters
    ----------
    model : ModelBundle, optional
        Defaults to the shipped model.
    sentiment : {"model", "snownlp"}
        Which comment sentiment scorer to use.

    Returns
    -------
    dict
        ``rows``, ``errors`` (rows with an error), ``text_column``, ``seconds``.
    """
    from .bundle import load_model
    from .errors import BAD_CHOICE, InputError
    from .sentiment import SnowNLPScorer

    if sentiment not in ("model", "snownlp"):
        raise InputError(BAD_CHOICE.format(name="sentiment", value=sentiment, allowed="model, snownlp"))
    model = model or load_model()
    scorer = SnowNLPScorer().fit() if sentiment == "snownlp" else None
    return _process_file(
        input_path, output_path, lambda chunk, col: model.analyze_frame(chunk, col, sentiment=scorer),
        text_col=text_col, format=format, encoding=encoding, chunk_size=chunk_size,
        progress=progress or Progress("classify"))


def segment_file(input_path: str | Path, output_path: str | Path, *, segmenter=None, text_col: str | None = None,
                 format: str | None = None, encoding: str | None = None, chunk_size: int = 20_000,
                 progress: Progress | None = None) -> dict:
    """Write ``output_path``: the input's columns plus ``tokens`` (space-separated),
    ``clauses`` (``|``-separated) and ``error``."""
    from .errors import EMPTY_TEXT
    from .segment import Segmenter

    segmenter = segmenter or Segmenter()

    def work(chunk, col):
        docs = segmenter.transform(chunk[col].tolist())
        out = chunk.copy()
        out["tokens"] = [" ".join(d.tokens) for d in docs]
        out["clauses"] = ["|".join(d.clauses) for d in docs]
        out["error"] = ["" if d.text else EMPTY_TEXT for d in docs]
        return out

    return _process_file(input_path, output_path, work, text_col=text_col, format=format, encoding=encoding,
                         chunk_size=chunk_size, progress=progress or Progress("segment"))
