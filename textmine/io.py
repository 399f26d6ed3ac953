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
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import (BROKEN_QUOTING, DUPLICATE_TEXT_COLUMN, ENCODING_UNSURE, INVALID_CHARACTERS, MISSING_COLUMN,
                     NO_SHEET, NO_TEXT_COLUMN, OTHER_ENCODING_LINES, OUTPUT_LOCKED, RESUME_OPTIONS, SHEETS_SKIPPED,
                     UNDECODABLE, XLSX_TOO_MANY_ROWS, InputError, InputWarning)

__all__ = [
    "FORMATS",
    "SHEET_COLUMN",
    "XLSX_MAX_ROWS",
    "EncodingGuess",
    "guess_encoding",
    "prefixed",
    "sanitise",
    "OutputLock",
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
SHEET_COLUMN = "sheet"  # names each row's sheet when a workbook's sheets are read together
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


@dataclass(frozen=True)
class EncodingGuess:
    """What :func:`guess_encoding` found: the ``encoding``, whether it is ``sure``, and a
    ``note`` saying why not when it is not."""

    encoding: str
    sure: bool = True
    note: str = ""


def _frequent_share(text: str, encoding: str, leads: tuple[int, int]) -> float:
    """The share of the CJK characters of ``text`` that ``encoding`` places in its block of
    frequent characters (lead bytes in ``leads``): high for text in that encoding, low for
    another encoding's bytes read as this one."""
    hanzi = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not hanzi:
        return 0.0
    frequent = 0
    for c in hanzi:
        with contextlib.suppress(UnicodeEncodeError):
            frequent += leads[0] <= c.encode(encoding)[0] <= leads[1]
    return frequent / len(hanzi)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def guess_encoding(path: str | Path, sample_bytes: int = 1 << 20) -> EncodingGuess:
    """Guess the text encoding of a file from its first ``sample_bytes``, and say whether
    the guess is sure.

    A BOM decides (``"utf-8-sig"``, ``"utf-16"``). Otherwise the sample's lines that hold
    non-ASCII bytes are decoded as UTF-8, GB18030 (a superset of GBK and GB2312) and
    Big5 (``"cp950"``): the encoding that reads most lines wins (``"utf-8-sig"`` for UTF-8,
    so that a BOM-less file reads the same). GB18030 and Big5 read each other's bytes
    without error, so between them the choice goes to the one whose reading is made of
    its own frequent characters (GB2312 level 1, Big5 level 1); when the two are close,
    or when no candidate reads most lines (charset-normalizer is asked then), the guess
    is not sure.
    """
    with open(path, "rb") as f:
        head = f.read(sample_bytes)
        at_end = not f.read(1)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return EncodingGuess("utf-16")
    if head.startswith(b"\xef\xbb\xbf"):
        return EncodingGuess("utf-8-sig")
    if not at_end and b"\n" in head:  # a character cut by the sample's end is no decoding failure
        head = head[:head.rindex(b"\n")]
    lines = [line for line in head.split(b"\n") if not line.isascii()]
    if not lines:
        return EncodingGuess("utf-8-sig")
    read = {enc: sum(_decodes(line, enc) for line in lines) for enc in ("utf-8", "gb18030", "cp950")}
    if read["utf-8"] >= max(read["gb18030"], read["cp950"]) and read["utf-8"] * 2 > len(lines):
        return EncodingGuess("utf-8-sig")
    if max(read["gb18030"], read["cp950"]) * 2 > len(lines):
        sample = head[:1 << 16]

        def share(encoding: str, frequent: str, leads: tuple[int, int]) -> float:  # -1 when it reads too few lines
            readable = read[encoding] * 2 > len(lines)
            return _frequent_share(sample.decode(encoding, "replace"), frequent, leads) if readable else -1.0

        gb, big5 = share("gb18030", "gb2312", (0xB0, 0xD7)), share("cp950", "cp950", (0xA4, 0xC6))
        best = "gb18030" if gb >= big5 else "cp950"
        if abs(gb - big5) >= 0.2:
            return EncodingGuess(best)
        return EncodingGuess(best, False, ENCODING_UNSURE.format(
            encoding=best, why=f"GB18030 and Big5 both read it (frequent characters {gb:.0%} and {big5:.0%})"))
    from charset_normalizer import from_bytes

    found = from_bytes(head).best()
    encoding = found.encoding if found is not None else "utf-8-sig"
    return EncodingGuess(encoding, False, ENCODING_UNSURE.format(
        encoding=encoding, why="no usual Chinese encoding reads most of its lines"))


def detect_encoding(path: str | Path, sample_bytes: int = 1 << 20) -> str:
    """The encoding :func:`guess_encoding` finds for ``path``."""
    return guess_encoding(path, sample_bytes).encoding


def first_row_number(format: str) -> int:
    """The number the user sees on the first record: 2 below a header, 1 for JSON lines."""
    return 1 if format == "jsonl" else 2


_SURROGATES = re.compile("[\ud800-\udfff]")  # no UTF encoding holds a lone surrogate
_HANZI = re.compile("[\u4e00-\u9fff]")
_BARE_CR = re.compile("(?<=\r)(?!\n)")
_ALTERNATIVE = {"utf-8": "gb18030", "utf-8-sig": "gb18030", "gb18030": "utf-8", "gbk": "utf-8", "gb2312": "utf-8",
                "cp950": "utf-8", "big5": "utf-8"}


def _clean_cell(value: str) -> tuple[str, bool]:
    """Replace lone surrogates (no writer can encode them) by U+FFFD; say if any were."""
    if _SURROGATES.search(value):
        return _SURROGATES.sub("\ufffd", value), True
    return value, False


def _decoded_lines(path: Path, encoding: str, other_lines: list[int]) -> Iterator[tuple[str, str]]:
    """The file's lines as ``(text, problem)``, line endings kept; a line ends at a line
    feed, or at a CR not followed by one (old Macintosh files, a bare CR in a text).

    In an ASCII-compatible encoding each line is decoded on its own: a line the
    encoding cannot read, or (in a GB or Big5 file) a line of CJK text that is valid
    UTF-8, is decoded with the other usual encoding (UTF-8 or GB18030) and its number
    appended to ``other_lines``; a line neither reads gets U+FFFD for its bad bytes and
    the problem :data:`~textmine.errors.UNDECODABLE`.
    """
    import codecs

    name = codecs.lookup(encoding).name
    other = _ALTERNATIVE.get(name)
    if other is None:  # UTF-16 and the like: decoded whole
        with open(path, encoding=encoding, errors="replace", newline="") as f:
            for line in f:
                yield line, UNDECODABLE if "\ufffd" in line else ""
        return
    own = "utf-8" if name == "utf-8-sig" else name

    def decode(number: int, raw: bytes) -> tuple[str, str]:
        if raw.isascii():
            return raw.decode("ascii"), ""
        if other == "utf-8" and _decodes(raw, "utf-8") and _HANZI.search(raw.decode("utf-8")):
            other_lines.append(number)
            return raw.decode("utf-8"), ""
        try:
            return raw.decode(own), ""
        except UnicodeDecodeError:
            if _decodes(raw, other):
                other_lines.append(number)
                return raw.decode(other), ""
            return raw.decode(own, "replace"), UNDECODABLE

    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            if number == 1 and own == "utf-8" and raw.startswith(codecs.BOM_UTF8):
                raw = raw[3:]
            text, problem = decode(number, raw)
            for piece in _BARE_CR.split(text) if "\r" in text else (text,):
                if piece:
                    yield piece, problem


def _frame(header: list[str], records: list[list[str]], rows: list[int], errors: list[str]):
    import pandas as pd

    frame = pd.DataFrame(records, columns=header, dtype=object) if records else pd.DataFrame(columns=header, dtype=object)
    frame.attrs["rows"] = rows
    frame.attrs["read_errors"] = errors
    return frame


def _alone(line: str, sep: str, width: int) -> tuple[list[str], str]:
    """One physical line of a record whose quoting is broken, read on its own: as CSV
    when that gives a whole, well-quoted record, else as it is (quotes kept)."""
    import csv

    line = line.rstrip("\r\n")
    with contextlib.suppress(csv.Error, StopIteration):
        fields = next(csv.reader([line], delimiter=sep, strict=True))
        if len(fields) == width:
            return fields, ""
    return next(csv.reader([line], delimiter=sep, quoting=csv.QUOTE_NONE), [""]), BROKEN_QUOTING


def _well_quoted(lines: list[str], sep: str) -> bool:
    """Whether lines read as one record also read so by a strict parser (an unclosed
    quote that ran to the end of the file does not)."""
    import csv

    try:
        return len(list(csv.reader(lines, delimiter=sep, strict=True))) == 1
    except csv.Error:
        return False


def _iter_delimited(path: Path, sep: str, encoding: str, chunksize: int):
    """CSV/TSV records with Python's csv module, so that no record is ever dropped: a
    record with the wrong number of fields is kept with an error, and one whose broken
    quoting swallowed several lines (an unclosed quote, a TSV field that starts with a
    quote) is split back into those lines, each line that does not read well on its own
    flagged."""
    import csv

    csv.field_size_limit(2**31 - 1)  # a comment may be megabytes long
    consumed: list[tuple[str, str]] = []
    other_lines: list[int] = []

    def lines():
        for line in _decoded_lines(path, encoding, other_lines):
            consumed.append(line)
            yield line[0]

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
        except csv.Error as exc:  # e.g. a new-line character in an unquoted field: keep the line, say why
            record, consumed[:] = ["".join(t for t, _ in consumed).rstrip("\r\n")], []
            line_no += 1
            records.append((record + [""] * (width - 1))[:width]); rows.append(line_no)
            errors.append(f"malformed line: {exc}")
            continue
        raw = list(consumed)
        consumed.clear()
        decoding = next((p for _, p in raw if p), "")
        if len(raw) > 1 and (len(record) != width or not _well_quoted([t for t, _ in raw], sep)):
            pieces = [(fields, problem or p) for (fields, problem), (_, p) in
                      zip((_alone(t, sep, width) for t, _ in raw), raw)]
        elif len(record) != width:
            pieces = [(record, f"malformed line: {len(record)} fields, expected {width}")]
        else:
            pieces = [(record, decoding)]
        for k, (fields, problem) in enumerate(pieces):
            if len(fields) > width:
                fields = fields[:width - 1] + [sep.join(fields[width - 1:])]
            fields = fields + [""] * (width - len(fields))
            cleaned = [_clean_cell(v) for v in fields]
            records.append([v for v, _ in cleaned])
            rows.append(line_no + 1 + k)
            errors.append(problem or (UNDECODABLE if any(bad for _, bad in cleaned) else ""))
        line_no += len(raw)
        if len(records) >= chunksize:
            yield _frame(header, records, rows, errors)
            records, rows, errors, yielded = [], [], [], True
    if records or not yielded:  # a header-only file still gives one (empty) frame
        yield _frame(header, records, rows, errors)
    _warn_other_lines(path, encoding, other_lines)


def _warn_other_lines(path: Path, encoding: str, numbers: list[int]) -> None:
    """Say which lines :func:`_decoded_lines` read in the other encoding."""
    import codecs

    if numbers:
        shown = ", ".join(map(str, numbers[:10])) + (" ..." if len(numbers) > 10 else "")
        warnings.warn(InputWarning(OTHER_ENCODING_LINES.format(
            path=path, count=len(numbers), lines=shown, encoding=encoding,
            other=_ALTERNATIVE[codecs.lookup(encoding).name])), stacklevel=2)


def _jsonl_record(line: str) -> tuple[dict[str, str], str]:
    """One JSON line as (field -> text, problem); a line that is no JSON object gives no
    fields and says why."""
    import json

    try:
        value = json.loads(line)
    except ValueError as exc:
        return {}, f"malformed line: {exc.msg}"
    if not isinstance(value, dict):
        return {}, "malformed line: not a JSON object"
    record, bad = {}, False
    for key, v in value.items():
        text = v if isinstance(v, str) else "" if v is None else json.dumps(v, ensure_ascii=False)
        text, replaced = _clean_cell(text)
        record[_clean_cell(str(key))[0]] = text
        bad = bad or replaced
    return record, INVALID_CHARACTERS if bad else ""


def _iter_jsonl(path: Path, encoding: str, chunksize: int):
    """JSON-lines records; a line that is not a JSON object is kept with an error.

    The columns are the union of the keys of every object in the file, in order of
    first appearance, found by a first pass over the file: every frame has the same
    columns, and a key first seen late is not lost. A record lacking a key gets ``""``.
    """
    columns: dict[str, None] = {}
    for line, _ in _decoded_lines(path, encoding, []):
        if line.strip():
            columns.update(dict.fromkeys(_jsonl_record(line)[0]))
    header = list(columns)
    records, rows, errors = [], [], []
    other_lines: list[int] = []
    yielded = False
    for line_no, (line, decoding) in enumerate(_decoded_lines(path, encoding, other_lines), 1):
        if not line.strip():
            continue
        record, problem = _jsonl_record(line)
        records.append([record.get(c, "") for c in header]); rows.append(line_no); errors.append(decoding or problem)
        if len(records) >= chunksize:
            yield _frame(header, records, rows, errors)
            records, rows, errors, yielded = [], [], [], True
    if records or not yielded:
        yield _frame(header, records, rows, errors)
    _warn_other_lines(path, encoding, other_lines)


def _cell_text(value) -> str:
    """A workbook cell as text: ``""`` when empty, a formula as its text, else ``str``."""
    return "" if value is None else value if isinstance(value, str) else str(value)


def _header(sheet) -> list[str]:
    """A sheet's first row as column names, trailing empty cells dropped (an empty cell
    between names is named ``Unnamed: k``, as pandas does)."""
    cells = [_cell_text(v) for v in next(sheet.iter_rows(max_row=1, values_only=True), ())]
    while cells and not cells[-1]:
        cells.pop()
    return [c or f"Unnamed: {k}" for k, c in enumerate(cells)]


def _iter_excel(path: Path, sheet: str | None, chunksize: int):
    """The rows of every sheet of a workbook in order (or of ``sheet``, with a warning
    naming the others), every cell as text (a formula as its formula), every row the
    sheet holds kept, blank ones too. With more than one sheet, the columns are the union of the
    sheets' columns and a first column (:data:`SHEET_COLUMN`, prefixed when an input
    column has that name) names each row's sheet; row numbers count within the sheet."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=False)
    try:
        names = book.sheetnames
        if sheet is not None:
            if sheet not in names:
                raise InputError(NO_SHEET.format(sheet=sheet, sheets=", ".join(map(repr, names))), path=str(path))
            if len(names) > 1:
                warnings.warn(InputWarning(SHEETS_SKIPPED.format(
                    path=path, sheet=sheet, others=", ".join(repr(n) for n in names if n != sheet))), stacklevel=3)
            names = [sheet]
        headers = {name: _header(book[name]) for name in names}
        used = [name for name in names if headers[name]] or names[:1]
        columns = list(dict.fromkeys(c for name in used for c in headers[name]))
        label = prefixed([SHEET_COLUMN], columns)[SHEET_COLUMN] if len(used) > 1 else None
        header = ([label] if label else []) + columns
        records, rows, errors = [], [], []
        for name in used:
            where = [columns.index(c) for c in headers[name]]
            for number, row in enumerate(book[name].iter_rows(min_row=2, values_only=True), 2):
                cells = [_cell_text(v) for v in row]
                values, problem = [""] * len(columns), ""
                if any(cells[len(where):]):  # cells past the header go to its last column, tab-joined
                    problem = f"malformed row: {len(cells)} cells, the header has {len(where)}"
                    cells = cells[:len(where) - 1] + ["\t".join(cells[len(where) - 1:])] if where else []
                for k, value in zip(where, cells):
                    values[k] = value
                records.append(([name] if label else []) + values); rows.append(number); errors.append(problem)
                if len(records) >= chunksize:
                    yield _frame(header, records, rows, errors)
                    records, rows, errors = [], [], []
        yield _frame(header, records, rows, errors)
    finally:
        book.close()


def prefixed(names: Sequence[str], taken: Sequence[str], prefix: str = "textmine_") -> dict[str, str]:
    """Each of ``names`` as it can be added beside the columns ``taken`` without
    overwriting one: itself, or with ``prefix`` repeated until it is free."""
    taken = set(taken)
    out = {}
    for name in names:
        final = name
        while final in taken:
            final = prefix + final
        out[name] = final
        taken.add(final)
    return out


def iter_tables(path: str | Path, *, format: str | None = None, encoding: str | None = None,
                chunksize: int = 50_000, sheet: str | None = None) -> Iterator["pandas.DataFrame"]:
    """Yield the file as DataFrames of at most ``chunksize`` rows, every cell a string
    (empty cells are ``""``), in file order, every frame with the same columns. Memory
    stays bounded for CSV, TSV, JSON lines and Parquet; a workbook is read whole, all its
    sheets (see :func:`_iter_excel`) unless ``sheet`` names one.

    No record is dropped and none is merged with another. Each frame's ``attrs["rows"]``
    holds the row number the user sees for each record, and ``attrs["read_errors"]`` a
    problem per record (``""`` when none): a malformed line, broken quoting, bytes that
    no encoding could read (replaced by U+FFFD). A malformed record keeps what could be
    read of it.

    Warns
    -----
    InputWarning
        When the detected encoding is not sure, when some lines were read in another
        encoding than the rest, when ``sheet`` leaves other sheets unread.

    Raises
    ------
    InputError
        When the file is missing, empty, or cannot be read at all; names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=str(path))
    fmt = detect_format(path, format)
    if fmt in ("csv", "tsv", "jsonl") and encoding is None:
        guess = guess_encoding(path)
        encoding = guess.encoding
        if not guess.sure:
            warnings.warn(InputWarning(f"{path}: {guess.note}"), stacklevel=2)
    try:
        if fmt in ("csv", "tsv"):
            yield from _iter_delimited(path, "\t" if fmt == "tsv" else ",", encoding, chunksize)
        elif fmt == "jsonl":
            yield from _iter_jsonl(path, encoding, chunksize)
        else:
            if fmt == "xlsx":
                batches = _iter_excel(path, sheet, chunksize)
            else:
                import pyarrow.parquet as pq

                parquet = pq.ParquetFile(path)
                batches = (b.to_pandas() for b in parquet.iter_batches(batch_size=chunksize))
                if not parquet.metadata.num_rows:  # no batch at all: one empty frame with the columns
                    batches = iter([parquet.schema_arrow.empty_table().to_pandas()])
            done = 0
            for chunk in batches:
                attrs = {"rows": list(range(2 + done, 2 + done + len(chunk))), "read_errors": [""] * len(chunk),
                         **chunk.attrs}
                chunk = chunk.astype(object).where(chunk.notna(), "").astype(str)
                chunk.columns = [str(c) for c in chunk.columns]
                chunk.attrs.update(attrs)
                done += len(chunk)
                yield chunk
    except InputError:
        raise
    except (ValueError, OSError, UnicodeError, LookupError, zipfile.BadZipFile) as exc:
        raise InputError(f"cannot read as {fmt}: {exc}", path=str(path)) from exc


def read_table(path: str | Path, *, format: str | None = None, encoding: str | None = None,
               sheet: str | None = None) -> "pandas.DataFrame":
    """Read a whole file into one DataFrame of strings (see :func:`iter_tables`)."""
    import pandas as pd

    chunks = list(iter_tables(path, format=format, encoding=encoding, sheet=sheet))
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
        Naming the file and listing the columns found; also when the column's name
        appears more than once in the header.
    """
    cols = [str(c) for c in columns]
    shown = ", ".join(repr(c) for c in cols) or "(none)"
    where = str(path) if path else None
    if text_col is not None:
        if text_col not in cols:
            raise InputError(MISSING_COLUMN.format(column=text_col, columns=shown), path=where)
        found = text_col
    else:
        folded = {c.strip().lower(): c for c in reversed(cols)}
        found = next((folded[name] for name in TEXT_COLUMN_NAMES if name in folded), None)
        if found is None:
            raise InputError(NO_TEXT_COLUMN.format(columns=shown), path=where)
    if cols.count(found) > 1:
        raise InputError(DUPLICATE_TEXT_COLUMN.format(column=found, count=cols.count(found)), path=where)
    return found


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


XLSX_MAX_ROWS = 1_048_576  # an Excel sheet's rows, the header included
XLSX_MAX_CELL = 32_767  # characters Excel keeps in one cell
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # XML 1.0 has no such characters
_XLSX_CHANGES = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\ufffe\uffff]")  # the above, and CR
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _fit(value: str, format: str) -> str:
    """``value`` as ``format`` can hold it (see :func:`sanitise`)."""
    value = _SURROGATES.sub("\ufffd", value)
    if format == "xlsx":  # an XML reader turns a CR into a line feed anyway: say so by doing it
        value = _NOT_XML.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n"))[:XLSX_MAX_CELL]
    return value


def sanitise(frame: "pandas.DataFrame", format: str, *, formula_guard: bool = False) -> tuple["pandas.DataFrame", int]:
    """``frame`` with every text made writable in ``format``, and how many cells changed.

    Lone surrogates become U+FFFD in every format; for ``"xlsx"`` so do the control
    characters XML cannot hold, a CR becomes a line feed (as Excel stores line breaks)
    and a text longer than Excel's cell limit is cut there. With ``formula_guard`` (CSV
    and TSV), a text starting with ``= + - @``, a tab or a CR gets a leading ``'``, so
    that a spreadsheet shows it instead of running it as a formula; the guard's changes
    are not counted. ``frame`` itself is not modified. Costs one regular-expression scan
    per text column; only columns that need a change are copied.
    """
    pattern = _XLSX_CHANGES if format == "xlsx" else _SURROGATES
    guard = formula_guard and format in ("csv", "tsv")
    changed = 0
    columns = {}
    for k, (name, column) in enumerate(frame.items()):
        values = column.tolist()
        texts = [v for v in values if isinstance(v, str)]
        if not texts:
            continue
        long = format == "xlsx" and any(len(v) > XLSX_MAX_CELL for v in texts)
        guarded = guard and any(v.startswith(_FORMULA_START) for v in texts)
        if not (pattern.search("\n".join(texts)) or long or guarded):
            continue
        out = []
        for v in values:
            if isinstance(v, str):
                new = _fit(v, format)
                changed += new != v
                v = "'" + new if guard and new.startswith(_FORMULA_START) else new
            out.append(v)
        columns[k] = out
    if not columns:
        return frame, 0
    frame = frame.copy()
    for k, values in columns.items():
        frame.isetitem(k, values)
    return frame, changed


def write_table(frame: "pandas.DataFrame", path: str | Path, *, format: str | None = None,
                formula_guard: bool = False) -> Path:
    """Write a DataFrame atomically in the format of ``path``'s extension (CSV is written
    UTF-8 with BOM, so that Excel shows Chinese correctly), its texts made writable and
    written as text (see :func:`sanitise` and :class:`TableWriter`)."""
    with TableWriter(path, format=format, formula_guard=formula_guard, lock=False) as writer:
        writer.write(frame)
    return Path(path)


class OutputLock:
    """One writer per output path: an exclusive ``flock`` on ``<path>.lock``.

    :meth:`acquire` raises :class:`~textmine.errors.InputError` naming the process that
    holds the lock. The lock dies with its holder, so a lock file left by a killed run
    does not block the next one. POSIX only (``fcntl``).
    """

    def __init__(self, target: str | Path):
        self.target = Path(target)
        self.path = Path(str(self.target) + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise when another process holds it."""
        import fcntl
        import socket
        import time

        self.target.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 400).decode("utf-8", "replace").strip() or "another process"
                os.close(fd)
                raise InputError(OUTPUT_LOCKED.format(holder=holder, lock=self.path.name),
                                 path=str(self.target)) from None
            try:
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)  # the holder removed the file between our open and our lock: try again
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, started "
                     f"{time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file and let the lock go."""
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None


class TableWriter:
    """Append DataFrames to one output file, atomically, as its only writer.

    The ``with`` block first takes :class:`OutputLock` on the path (unless ``lock`` is
    false), so a second run on the same output refuses at once. Rows go to
    ``<path>.partial``, renamed to ``path`` only when the block ends without an error:
    an interrupted run never leaves a file that looks complete. The columns are fixed by
    the first frame written; a later frame with other columns raises ``ValueError``.
    Every text is made writable (:func:`sanitise`; :attr:`replaced` counts the cells
    changed) and an ``.xlsx`` text is always a text cell, never a formula.

    CSV, TSV and JSON lines are streamed and checkpointed after every write
    (``<path>.partial.json``: rows written, bytes, columns, ``options``, the input's size
    and time), so that ``resume=True`` continues an interrupted run: :attr:`rows` says
    how many input rows to skip. Resuming refuses a checkpoint made from another version
    of the input or with other ``options``. Parquet and Excel are streamed and finished
    at the end; Excel refuses a row past its sheet limit (:data:`XLSX_MAX_ROWS`).
    """

    def __init__(self, path: str | Path, *, format: str | None = None, resume: bool = False,
                 source: str | Path | None = None, options: dict | None = None, formula_guard: bool = False,
                 lock: bool = True):
        self.path = Path(path)
        self.format = detect_format(self.path, format)
        self.partial = Path(str(self.path) + ".partial")
        self.checkpoint = Path(str(self.path) + ".partial.json")
        self.source = source
        self.options = dict(options or {})
        self.formula_guard = formula_guard
        self.resume = resume
        self.rows = 0
        self.replaced = 0
        self.resumed = False
        self.columns: list[str] | None = None
        self._lock = OutputLock(self.path) if lock else None
        self._bytes = 0
        self._parquet = None
        self._book = None

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
        changed = {k: (state.get("options", {}).get(k), v) for k, v in self.options.items()
                   if state.get("options", {}).get(k) != v}
        if changed:
            raise InputError(RESUME_OPTIONS.format(partial=self.partial.name, changes="; ".join(
                f"{k} was {old!r}, now {new!r}" for k, (old, new) in changed.items())), path=str(self.path))
        with open(self.partial, "r+b") as f:  # drop anything written after the last checkpoint
            f.truncate(state["bytes"])
        self.rows, self._bytes, self.resumed = state["rows"], state["bytes"], True
        self.columns = state.get("columns")

    def __enter__(self) -> "TableWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._lock is not None:
            self._lock.acquire()
        try:
            if self.resume and self.format in ("csv", "tsv", "jsonl"):
                self._resume()
            if not self.resumed:
                self.partial.unlink(missing_ok=True)
                self.checkpoint.unlink(missing_ok=True)
        except BaseException:
            self._release()
            raise
        return self

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def write(self, frame: "pandas.DataFrame") -> None:
        """Append the rows of ``frame`` (the same columns, in the same order, every call).

        Raises
        ------
        InputError
            When an ``.xlsx`` output would pass :data:`XLSX_MAX_ROWS`.
        ValueError
            When ``frame``'s columns differ from those of the first frame.
        """
        import json

        columns = [str(c) for c in frame.columns]
        if self.columns is None:
            self.columns = columns
        elif columns != self.columns:
            raise ValueError(f"{self.path}: columns {columns} differ from the output's {self.columns}")
        if self.format == "xlsx" and self.rows + len(frame) + 1 > XLSX_MAX_ROWS:
            raise InputError(XLSX_TOO_MANY_ROWS.format(rows=self.rows + len(frame), limit=XLSX_MAX_ROWS - 1),
                             path=str(self.path))
        frame, replaced = sanitise(frame, self.format, formula_guard=self.formula_guard)
        self.replaced += replaced
        first = self.rows == 0 and not self.resumed
        if self.format in ("csv", "tsv"):
            # CRLF line ends: the csv module quotes a field holding any character of the line
            # terminator, so a bare CR inside a text is quoted too and cannot split a row
            frame.to_csv(self.partial, mode="w" if first else "a", header=first, index=False, lineterminator="\r\n",
                         sep="\t" if self.format == "tsv" else ",", encoding="utf-8-sig" if first else "utf-8")
        elif self.format == "jsonl":
            with open(self.partial, "w" if first else "a", encoding="utf-8") as f:
                for values in frame.itertuples(index=False, name=None):
                    f.write(json.dumps(dict(zip(self.columns, values)), ensure_ascii=False, default=str) + "\n")
        elif self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.partial, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        else:
            self._write_xlsx(frame)
        self.rows += len(frame)
        if self.format in ("csv", "tsv", "jsonl"):
            self._bytes = self.partial.stat().st_size
            state = {"rows": self.rows, "bytes": self._bytes, "columns": self.columns, "options": self.options,
                     **self._source_id()}
            with atomic_path(self.checkpoint) as tmp:
                tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    def _open_xlsx(self) -> None:
        """A write-only workbook (rows go to a temporary file until saved) with the header."""
        from openpyxl import Workbook

        if self._book is None:
            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet()
            self._sheet.append(self.columns or [])

    def _write_xlsx(self, frame: "pandas.DataFrame") -> None:
        """Rows to the workbook; a text starting with ``=`` is marked a text cell."""
        import math

        from openpyxl.cell import WriteOnlyCell

        self._open_xlsx()

        def cell(value):
            if isinstance(value, str) and value.startswith("="):
                text = WriteOnlyCell(self._sheet, value=value)
                text.data_type = "s"
                return text
            return None if isinstance(value, float) and math.isnan(value) else value

        for values in frame.itertuples(index=False, name=None):
            self._sheet.append([cell(v) for v in values])

    def __exit__(self, kind, value, tb) -> None:
        try:
            if self._parquet is not None:
                self._parquet.close()
            if kind is not None:
                if self._book is not None:  # saving is the public way to close the sheet's temporary file
                    self._book.save(self.partial)
                if self.format not in ("csv", "tsv", "jsonl"):
                    self.partial.unlink(missing_ok=True)
                return
            if self.format == "xlsx":
                self._open_xlsx()
                self._book.save(self.partial)
            elif self.format == "parquet" and self._parquet is None:
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.table({c: pa.array([], pa.string()) for c in self.columns or []}), self.partial)
            elif self.rows == 0 and not self.partial.exists():
                self.partial.touch()
            os.replace(self.partial, self.path)
            self.checkpoint.unlink(missing_ok=True)
        finally:
            self._release()
