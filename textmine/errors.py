"""Exception classes and the texts of textmine's error messages.

Every message names what the user can act on: the file, the row as the user counts it
(1 is the header line of a CSV, 2 its first record), the column, the value received and
what is allowed.
"""
from __future__ import annotations

__all__ = [
    "TextmineError",
    "InputError",
    "LabelError",
    "ModelError",
    "NotFittedError",
    "InputWarning",
    "RequestError",
    "MissingDependencyError",
]


class TextmineError(Exception):
    """Base class of every error textmine raises on purpose."""


class InputError(TextmineError, ValueError):
    """An input file or value cannot be used as it is."""

    def __init__(self, problem: str, *, path: str | None = None, row: int | None = None):
        self.path = path
        self.row = row
        self.problem = problem
        where = ", ".join(p for p in (str(path) if path else None, f"row {row}" if row else None) if p)
        super().__init__(f"{where}: {problem}" if where else problem)


class InputWarning(UserWarning):
    """An input was read, but not quite as the user may expect (an unsure encoding,
    sheets left unread, cells changed to fit the output format)."""


class LabelError(InputError):
    """A label string does not follow the `category:polarity|...` format."""


class ModelError(TextmineError):
    """A model file is missing, untrusted, corrupt or does not match its manifest."""


class NotFittedError(TextmineError, AttributeError):
    """An estimator was used before `fit` was called or a model was loaded."""

    def __init__(self, estimator: object):
        name = type(estimator).__name__
        super().__init__(
            f"this {name} is not fitted yet: call fit(...) first, or load a trained model "
            "with textmine.load_model()"
        )


class RequestError(InputError):
    """An HTTP request the service cannot use; ``code`` names the kind of problem and
    decides the HTTP status (see :data:`textmine.service.STATUS`)."""

    def __init__(self, code: str, problem: str):
        self.code = code
        super().__init__(problem)


class MissingDependencyError(TextmineError, ImportError):
    """An optional feature is used without the extra that installs what it needs."""


# Message texts shared by several modules; formatted with str.format.
NO_TEXT_COLUMN = (
    "no text column found; give one with --text-col (columns found: {columns})"
)
MISSING_COLUMN = "column {column!r} not found (columns found: {columns})"
EMPTY_TEXT = "empty text"
BAD_CHOICE = "{name}={value!r} is not allowed; choose one of {allowed}"

# Reading and writing tables (textmine.io, textmine.batch).
UNDECODABLE = "undecodable bytes replaced by U+FFFD"
INVALID_CHARACTERS = "lone surrogates replaced by U+FFFD"
BROKEN_QUOTING = "malformed line (broken quoting): read on its own, quotes kept"
ENCODING_UNSURE = "encoding guessed as {encoding}, but not sure: {why}; give --encoding to be sure"
OTHER_ENCODING_LINES = "{path}: {count} line(s) are not {encoding} like the rest and were read as {other}: lines {lines}"
NO_SHEET = "no sheet {sheet!r} (sheets: {sheets})"
SHEETS_SKIPPED = "{path}: reading only sheet {sheet!r}; not read: {others}"
OUTPUT_LOCKED = ("another textmine run is writing this file ({holder}); wait for it to finish or choose "
                 "another -o (lock: {lock})")
RESUME_OPTIONS = "cannot resume: {partial} was made with other options ({changes}); run again without --resume"
XLSX_TOO_MANY_ROWS = ("{rows:,} rows do not fit in an .xlsx sheet (at most {limit:,}); write .csv, .jsonl or "
                      ".parquet instead")
OUTPUT_IS_INPUT = "the output is the input file; give another -o"
DUPLICATE_TEXT_COLUMN = "the text column {column!r} appears {count} times in the header; rename one of them"
CELLS_REPLACED = ("{path}: {count:,} cell(s) changed to fit {format}: characters it cannot hold became U+FFFD "
                  "(a CR in .xlsx a line feed), texts past its cell limit were cut")
WORKER_DIED = "a worker process died ({reason}); run again with --resume (with fewer --jobs if memory is short)"

NO_READABLE_DATE = (
    "column {column!r}: no readable date in {rows:,} rows (e.g. {examples}); dates are read as 2024年3月5日, "
    "2024-03-05, 2024/3/5 12:30, 20240305, Excel serial numbers or Unix timestamps"
)

# The HTTP service (textmine.service): request problems and the start-up warning.
UNAUTHORIZED = "missing or wrong bearer token: send the header 'Authorization: Bearer <token>'"
BODY_TOO_LARGE = "request body is larger than the limit of {limit:,} bytes"
NOT_UTF8 = "request body is not UTF-8: invalid byte at offset {offset}"
MALFORMED_JSON = "request body is not valid JSON: {detail}"
NOT_AN_OBJECT = 'request body must be a JSON object {{"texts": [string, ...]}}, got {kind}'
MISSING_TEXTS = "field 'texts' is missing"
UNKNOWN_FIELDS = "unknown field(s) {names}; only 'texts' is allowed"
NOT_A_LIST = "texts must be an array of strings, got {kind}"
EMPTY_LIST = "texts is empty; send at least one text"
TOO_MANY_TEXTS = "texts holds {count:,} items; at most {limit:,} are allowed per request"
NOT_A_STRING = "texts[{index}] must be a string, got {kind}"
NOT_POSITIVE = "{name}={value!r} is not allowed; it must be a positive integer"
PUBLIC_WITHOUT_TOKEN = (
    "serving on {host}, which is not a loopback address, without a token: anyone who can reach "
    "port {port} can use the service; set TEXTMINE_API_TOKEN to require one"
)
INTERNAL_ERROR = "the service failed ({kind}); the server log has the details"
MISSING_EXTRA = "the HTTP service needs FastAPI and uvicorn: pip install 'textmine[serve]'"

# Before/after comparison, scores and SERVQUAL.
EMPTY_SIDE = "{side} has no comments that could be analysed ({rows:,} rows)"
SIDE_NEEDS_SPLIT = "one input needs --date-col and --split to cut it; or give BEFORE and AFTER"
BAD_SPLIT = "--split {value!r} is not a date (YYYY-MM-DD)"
BAD_SCORE = "column {column!r}: {value!r} is {what}"
NO_USABLE_SCORE = ("column {column!r} holds no usable score: {bad:,} unusable, {empty:,} empty "
                   "(NPS: integers 0-10, CSAT: 1-5)")
BAD_DIMENSION = "dimension {value!r} is not one of {allowed}"
CATEGORY_TWICE = "category {category!r} is given twice"

# Estimator inputs and training options.
LABEL_SETS = ("{where} is {value!r}: y gives the category names of each comment, "
              "e.g. [['logistics', 'food'], ['other']]")
LABEL_NAME = ("{where} holds {value!r}, not a category name: fit takes the category names of each comment, "
              "e.g. [['logistics', 'food'], ['other']] (an indicator matrix, as predict returns, has no names)")
LENGTH_MISMATCH = "X has {n_x} comments but y has {n_y} label sets"
TOO_FEW_CATEGORIES = "need at least two categories to learn, got {categories}"
OUT_OF_RANGE = "{name}={value!r} is out of range; it must be {allowed}"

TOO_MANY_LABEL_PROBLEMS = (
    "{flagged} of {total} rows have label problems (more than {rate:.0%}); fix them, or train anyway "
    "with --force (force=True), which keeps what could be read and leaves the rest out: {shown}"
)
CATEGORIES_DIFFER = (
    "the two models' categories differ (only in the old: {only_old}; only in the new: {only_new}); "
    "scoring only the shared ones: {shared}"
)
NO_SHARED_CATEGORIES = (
    "the two models share no category (old: {only_old}; new: {only_new}); nothing to compare, the overlap is empty"
)
