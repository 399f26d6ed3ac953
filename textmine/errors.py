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


# Message texts shared by several modules; formatted with str.format.
NO_TEXT_COLUMN = (
    "no text column found; give one with --text-col (columns found: {columns})"
)
MISSING_COLUMN = "column {column!r} not found (columns found: {columns})"
EMPTY_TEXT = "empty text"
BAD_CHOICE = "{name}={value!r} is not allowed; choose one of {allowed}"
