"""Reading feedback dumps and writing results.

Readers take CSV, TSV, JSON lines, Excel (.xlsx) and Parquet, chosen by the file's
extension or ``format``. Text encodings are detected (UTF-8 with or without BOM, UTF-16
with BOM, GBK/GB18030) unless given. Every cell is read as text; nothing is parsed into
numbers or dates. Rows are numbered as the user sees them: a CSV/TSV/Excel file's first
record is row 2 (row 1 is the header), a JSON-lines file's first record is line 1.

Writes are atomic: the data goes to a temporary file in the target folder, which is
renamed over the target only when complete.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from .errors import MISSING_COLUMN, NO_TEXT_COLUMN, InputError

__all__ = [
    "FORMATS",
    "TEXT_COLUMN_NAMES",
    "detect_format",
    "detect_encoding",
    "read_table",
    "iter_tables",
    "find_text_column",
    "write_table",
    "atomic_path",
    "first_row_number",
    "TableWriter",
]

FORMATS = ("csv", "tsv", "jsonl", "xlsx", "parquet")
_EXTENSIONS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl",
    ".json": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet",
    ".pq": "parquet",
}
TEXT_COLUMN_NAMES = (
    "text", "content", "review", "comment", "comments", "feedback", "body", "message",
    "评论", "内容", "评价", "评论内容", "评价内容", "反馈", "反馈内容", "留言", "文本", "意见", "投诉内容",
)


def detect_format(path: str | Path, format: str | None = None) -> str:
    """The table format of ``path``: ``format`` when given, else from the extension."""
    if format is not None:
        if format not in FORMATS:
            raise InputError(f"format={format!r} is not allowed; choose one of {', '.join(FORMATS)}")
        return format
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise InputError(
            f"cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"give --format ({', '.join(FORMATS)})", path=str(path))
    return _EXTENSIONS[suffix]


def detect_encoding(path: str | Path, sample_bytes: int = 1 << 20) -> str:
    """Guess the text encoding of a file from its first ``sample_bytes``.

    Returns ``"utf-8-sig"`` (with or without BOM), ``"utf-16"`` (BOM), ``"gb18030"``
    (a superset of GBK and GB2312), or what charset-normalizer finds otherwise.
    """
    with open(path, "rb") as f:
        head = f.read(sample_bytes)
        at_end = not f.read(1)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return "utf-8-sig" if encoding == "utf-8" else encoding
        except UnicodeDecodeError as exc:
            # a multi-byte character cut by the sample's end is not a decoding failure
            if not at_end and exc.start >= len(head) - 4:
                return "utf-8-sig" if encoding == "utf-8" else encoding
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    return best.encoding if best is not None else "utf-8-sig"


def first_row_number(format: str) -> int:
    """The number the user sees on the first record: 2 below a header, 1 for JSON lines."""
    return 1 if format == "jsonl" else 2


def iter_tables(path: str | Path, *, format: str | None = None, encoding: str | None = None,
                chunksize: int = 50_000) -> Iterator["pandas.DataFrame"]:
    """Yield the file as DataFrames of at most ``chunksize`` rows, every cell a string
    (empty cells are ``""``), in file order. Memory stays bounded for CSV, TSV, JSON
    lines and Parquet; an Excel sheet is read whole.

    Raises
    ------
    InputError
        When the file is missing, cannot be decoded or parsed; names the file.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=str(path))
    fmt = detect_format(path, format)
    try:
        if fmt in ("csv", "tsv"):
            enc = encoding or detect_encoding(path)
            sep = "\t" if fmt == "tsv" else ","
            reader = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=enc,
                                 encoding_errors="replace", chunksize=chunksize, engine="c",
                                 on_bad_lines="warn")
            with reader:
                yield from reader
        elif fmt == "jsonl":
            enc = encoding or detect_encoding(path)
            with pd.read_json(path, lines=True, dtype=False, encoding=enc, chunksize=chunksize) as reader:
                for chunk in reader:
                    yield chunk.astype(object).where(chunk.notna(), "").astype(str)
        elif fmt == "xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
            for start in range(0, max(len(frame), 1), chunksize):
                yield frame.iloc[start:start + chunksize].reset_index(drop=True)
        else:
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunksize):
                chunk = batch.to_pandas()
                yield chunk.astype(object).where(chunk.notna(), "").astype(str)
    except InputError:
        raise
    except (ValueError, OSError, UnicodeError) as exc:
        raise InputError(f"cannot read as {fmt}: {exc}", path=str(path)) from exc


def read_table(path: str | Path, *, format: str | None = None, encoding: str | None = None) -> "pandas.DataFrame":
    """Read a whole file into one DataFrame of strings (see :func:`iter_tables`)."""
    import pandas as pd

    chunks = list(iter_tables(path, format=format, encoding=encoding))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


def find_text_column(columns: Sequence[str], text_col: str | None = None, *, path: str | Path | None = None) -> str:
    """The column that holds the comments: ``text_col`` when given (it must exist), else
    the first column whose name is a usual name for comments (``text``, ``review``,
    ``评论``, ...; case and spaces ignored).

    Raises
    ------
    InputError
        Naming the file and listing the columns found.
    """
    cols = [str(c) for c in columns]
    shown = ", ".join(repr(c) for c in cols) or "(none)"
    if text_col is not None:
        if text_col not in cols:
            raise InputError(MISSING_COLUMN.format(column=text_col, columns=shown), path=str(path) if path else None)
        return text_col
    folded = {c.strip().lower(): c for c in cols}
    for name in TEXT_COLUMN_NAMES:
        if name in folded:
            return folded[name]
    raise InputError(NO_TEXT_COLUMN.format(columns=shown), path=str(path) if path else None)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Give a temporary path in the target's folder; on success rename it to ``target``,
    on failure remove it. The target is never seen half-written."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_table(frame: "pandas.DataFrame", path: str | Path, *, format: str | None = None) -> Path:
    """Write a DataFrame atomically in the format of ``path``'s extension (CSV is written
    UTF-8 with BOM, so that Excel shows Chinese correctly)."""
    fmt = detect_format(path, format)
    with atomic_path(path) as tmp:
        if fmt in ("csv", "tsv"):
            frame.to_csv(tmp, index=False, sep="\t" if fmt == "tsv" else ",", encoding="utf-8-sig")
        elif fmt == "jsonl":
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False)
        elif fmt == "xlsx":
            frame.to_excel(tmp, index=False, engine="openpyxl")
        else:
            frame.to_parquet(tmp, index=False)
    return Path(path)


class TableWriter:
    """Append DataFrames to one output file, atomically: the rows go to a temporary file
    that replaces ``path`` only when :meth:`commit` is called (the ``with`` block ends
    without an error). CSV/TSV/JSON lines and Parquet are streamed; Excel is written at
    the end."""

    def __init__(self, path: str | Path, *, format: str | None = None):
        self.path = Path(path)
        self.format = detect_format(self.path, format)
        self.rows = 0
        self._atomic = atomic_path(self.path)
        self._tmp: Path | None = None
        self._held: list = []
        self._parquet = None

    def __enter__(self) -> "TableWriter":
        self._tmp = self._atomic.__enter__()
        return self

    def write(self, frame: "pandas.DataFrame") -> None:
        """Append the rows of ``frame`` (same columns every call)."""
        first = self.rows == 0
        if self.format in ("csv", "tsv"):
            frame.to_csv(self._tmp, mode="w" if first else "a", header=first, index=False,
                         sep="\t" if self.format == "tsv" else ",", encoding="utf-8-sig" if first else "utf-8")
        elif self.format == "jsonl":
            import json

            with open(self._tmp, "a", encoding="utf-8") as f:
                for record in frame.to_dict("records"):
                    f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        elif self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._tmp, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        else:
            self._held.append(frame)
        self.rows += len(frame)

    def __exit__(self, kind, value, tb) -> None:
        try:
            if kind is None:
                if self._parquet is not None:
                    self._parquet.close()
                if self.format == "xlsx" and self._held:
                    import pandas as pd

                    pd.concat(self._held, ignore_index=True).to_excel(self._tmp, index=False, engine="openpyxl")
        finally:
            self._atomic.__exit__(kind, value, tb)
