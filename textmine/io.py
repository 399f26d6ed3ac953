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
import re
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


_UNDECODABLE = re.compile(r"[\udc80-\udcff]+")


def _clean_cell(value: str) -> tuple[str, bool]:
    """Replace undecodable bytes (kept as surrogate escapes) by U+FFFD; say if any were."""
    if _UNDECODABLE.search(value):
        return _UNDECODABLE.sub("\ufffd", value), True
    return value, False


def _frame(header: list[str], records: list[list[str]], rows: list[int], errors: list[str]):
    import pandas as pd

    frame = pd.DataFrame(records, columns=header, dtype=object) if records else pd.DataFrame(columns=header, dtype=object)
    frame.attrs["rows"] = rows
    frame.attrs["read_errors"] = errors
    return frame


def _iter_delimited(path: Path, sep: str, encoding: str, chunksize: int):
    """CSV/TSV records with Python's csv module, so that no record is ever dropped: a
    record with the wrong number of fields is kept with an error, and one whose broken
    quoting swallowed several lines is split back into those lines."""
    import csv

    csv.field_size_limit(2**31 - 1)  # a comment may be megabytes long
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as f:
        consumed: list[str] = []

        def lines():
            for line in f:
                consumed.append(line)
                yield line

        reader = csv.reader(lines(), delimiter=sep)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError("the file is empty: no header line", path=str(path)) from None
        header = [_clean_cell(h)[0].strip() for h in header]
        width = len(header)
        if width == 1 and any(d in header[0] for d in "\t;|,") and sep not in header[0]:
            raise InputError(f"line 1: the header {header[0][:80]!r} is one column; is the delimiter wrong? "
                             "(give --format csv or tsv)", path=str(path))
        line_no = len(consumed)
        consumed.clear()
        records, rows, errors = [], [], []
        yielded = False
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. a NUL byte: keep the line, say why
                record, consumed[:] = ["".join(consumed).rstrip("\r\n")], []
                record, problem = record + [""] * (width - 1), f"malformed line: {exc}"
                line_no += 1
                records.append(record[:width]); rows.append(line_no); errors.append(problem)
                continue
            span, raw = len(consumed), list(consumed)
            consumed.clear()
            pieces = [(record, "")]
            if len(record) != width:
                if span > 1:  # broken quoting: each physical line is its own record
                    pieces = [(next(csv.reader([line], delimiter=sep), [""]), "malformed line (broken quoting)")
                              for line in raw]
                else:
                    pieces = [(record, f"malformed line: {len(record)} fields, expected {width}")]
            for k, (fields, problem) in enumerate(pieces):
                if len(fields) > width:
                    fields = fields[:width - 1] + [sep.join(fields[width - 1:])]
                fields = fields + [""] * (width - len(fields))
                cleaned = [_clean_cell(v) for v in fields]
                if any(bad for _, bad in cleaned) and not problem:
                    problem = "undecodable bytes"
                records.append([v for v, _ in cleaned])
                rows.append(line_no + 1 + (k if len(pieces) > 1 else 0))
                errors.append(problem)
            line_no += span
            if len(records) >= chunksize:
                yield _frame(header, records, rows, errors)
                records, rows, errors, yielded = [], [], [], True
        if records or not yielded:  # a header-only file still gives one (empty) frame
            yield _frame(header, records, rows, errors)


def _iter_jsonl(path: Path, encoding: str, chunksize: int):
    """JSON-lines records; a line that is not a JSON object is kept with an error."""
    import json

    columns: list[str] = []
    records: list[dict] = []
    rows, errors = [], []

    def flush():
        frame = _frame(columns, [[r.get(c, "") for c in columns] for r in records], list(rows), list(errors))
        records.clear(); rows.clear(); errors.clear()
        return frame

    with open(path, encoding=encoding, errors="surrogateescape") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
                problem = "" if isinstance(value, dict) else "malformed line: not a JSON object"
            except ValueError as exc:
                value, problem = {}, f"malformed line: {exc.msg}"
            record = {str(k): "" if v is None else _clean_cell(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))[0]
                      for k, v in (value.items() if isinstance(value, dict) else [])}
            if not problem and any(_UNDECODABLE.search(v if isinstance(v, str) else "") for v in value.values()):
                problem = "undecodable bytes"
            for key in record:
                if key not in columns:
                    columns.append(key)
            records.append(record); rows.append(line_no); errors.append(problem)
            if len(records) >= chunksize:
                yield flush()
    if records or not columns:
        yield flush()


def iter_tables(path: str | Path, *, format: str | None = None, encoding: str | None = None,
                chunksize: int = 50_000) -> Iterator["pandas.DataFrame"]:
    """Yield the file as DataFrames of at most ``chunksize`` rows, every cell a string
    (empty cells are ``""``), in file order. Memory stays bounded for CSV, TSV, JSON
    lines and Parquet; an Excel sheet is read whole.

    No record is dropped. Each frame's ``attrs["rows"]`` holds the row number the user
    sees for each record, and ``attrs["read_errors"]`` a problem per record (``""``
    when none): a malformed line, broken quoting, undecodable bytes. A malformed record
    keeps what could be read of it.

    Raises
    ------
    InputError
        When the file is missing, empty, or cannot be read at all; names the file.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=str(path))
    fmt = detect_format(path, format)
    first = first_row_number(fmt)
    try:
        if fmt in ("csv", "tsv"):
            yield from _iter_delimited(path, "\t" if fmt == "tsv" else ",", encoding or detect_encoding(path), chunksize)
        elif fmt == "jsonl":
            yield from _iter_jsonl(path, encoding or detect_encoding(path), chunksize)
        else:
            if fmt == "xlsx":
                whole = pd.read_excel(path, dtype=str, keep_default_na=False)
                batches = (whole.iloc[i:i + chunksize].reset_index(drop=True) for i in range(0, max(len(whole), 1), chunksize))
            else:
                import pyarrow.parquet as pq

                batches = (b.to_pandas() for b in pq.ParquetFile(path).iter_batches(batch_size=chunksize))
            done = 0
            for chunk in batches:
                chunk = chunk.astype(object).where(chunk.notna(), "").astype(str)
                chunk.columns = [str(c) for c in chunk.columns]
                chunk.attrs["rows"] = list(range(first + done, first + done + len(chunk)))
                chunk.attrs["read_errors"] = [""] * len(chunk)
                done += len(chunk)
                yield chunk
    except InputError:
        raise
    except (ValueError, OSError, UnicodeError, LookupError) as exc:
        raise InputError(f"cannot read as {fmt}: {exc}", path=str(path)) from exc


def read_table(path: str | Path, *, format: str | None = None, encoding: str | None = None) -> "pandas.DataFrame":
    """Read a whole file into one DataFrame of strings (see :func:`iter_tables`)."""
    import pandas as pd

    chunks = list(iter_tables(path, format=format, encoding=encoding))
    if not chunks:
        return pd.DataFrame()
    frame = pd.concat(chunks, ignore_index=True).fillna("")
    frame.attrs["rows"] = [r for c in chunks for r in c.attrs["rows"]]
    frame.attrs["read_errors"] = [e for c in chunks for e in c.attrs["read_errors"]]
    return frame


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
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it the usual mode
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
    """Append DataFrames to one output file, atomically.

    Rows go to ``<path>.partial``, which is renamed to ``path`` only when the ``with``
    block ends without an error: an interrupted run never leaves a file that looks
    complete. CSV, TSV and JSON lines are streamed and checkpointed after every write
    (``<path>.partial.json``: rows written, bytes, the input's size and time), so that
    ``resume=True`` continues an interrupted run: :attr:`rows` says how many input rows
    to skip. Parquet is streamed; Excel is written at the end.
    """

    def __init__(self, path: str | Path, *, format: str | None = None, resume: bool = False,
                 source: str | Path | None = None):
        self.path = Path(path)
        self.format = detect_format(self.path, format)
        self.partial = Path(str(self.path) + ".partial")
        self.checkpoint = Path(str(self.path) + ".partial.json")
        self.source = source
        self.rows = 0
        self.resumed = False
        self._bytes = 0
        self._held: list = []
        self._parquet = None
        if resume and self.format in ("csv", "tsv", "jsonl"):
            self._resume()

    def _source_id(self) -> dict:
        if self.source is None:
            return {}
        stat = Path(self.source).stat()
        return {"input": str(Path(self.source).resolve()), "input_size": stat.st_size, "input_mtime": stat.st_mtime}

    def _resume(self) -> None:
        import json

        if not (self.partial.exists() and self.checkpoint.exists()):
            return
        state = json.loads(self.checkpoint.read_text(encoding="utf-8"))
        if {k: state.get(k) for k in self._source_id()} != self._source_id():
            raise InputError(f"cannot resume: {self.partial.name} was made from another version of the input; "
                             "run again without --resume", path=str(self.source))
        with open(self.partial, "r+b") as f:  # drop anything written after the last checkpoint
            f.truncate(state["bytes"])
        self.rows, self._bytes, self.resumed = state["rows"], state["bytes"], True

    def __enter__(self) -> "TableWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.resumed:
            self.partial.unlink(missing_ok=True)
            self.checkpoint.unlink(missing_ok=True)
        return self

    def write(self, frame: "pandas.DataFrame") -> None:
        """Append the rows of ``frame`` (same columns every call)."""
        import json

        first = self.rows == 0
        if self.format in ("csv", "tsv"):
            frame.to_csv(self.partial, mode="w" if first else "a", header=first, index=False,
                         sep="\t" if self.format == "tsv" else ",", encoding="utf-8-sig" if first else "utf-8")
        elif self.format == "jsonl":
            with open(self.partial, "a", encoding="utf-8") as f:
                for record in frame.to_dict("records"):
                    f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        elif self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.partial, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        else:
            self._held.append(frame)
        self.rows += len(frame)
        if self.format in ("csv", "tsv", "jsonl"):
            self._bytes = self.partial.stat().st_size
            state = {"rows": self.rows, "bytes": self._bytes, **self._source_id()}
            with atomic_path(self.checkpoint) as tmp:
                tmp.write_text(json.dumps(state), encoding="utf-8")

    def __exit__(self, kind, value, tb) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if kind is not None:
            if self.format not in ("csv", "tsv", "jsonl"):
                self.partial.unlink(missing_ok=True)
            return
        if self.format == "xlsx":
            import pandas as pd

            frame = pd.concat(self._held, ignore_index=True) if self._held else pd.DataFrame()
            frame.to_excel(self.partial, index=False, engine="openpyxl")
        elif self.rows == 0 and not self.partial.exists():
            self.partial.touch()
        os.replace(self.partial, self.path)
        self.checkpoint.unlink(missing_ok=True)
