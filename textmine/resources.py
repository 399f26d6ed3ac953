"""Where the shipped data lives: ``corpora/`` (dictionaries, stopwords, labelled corpus)
and ``models/`` (trained models).

In a source checkout (and an editable install) they are the folders beside the package;
in a regular install ``pyproject.toml`` maps them into the package as
``textmine/corpora`` and ``textmine/models``.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["resource_path"]

_PACKAGE = Path(__file__).resolve().parent


def resource_path(kind: str, name: str) -> Path:
    """Return the path of a shipped file, e.g. ``resource_path("corpora", "stopwords.txt")``.

    Raises
    ------
    FileNotFoundError
        Naming the places that were searched.
    """
    places = [_PACKAGE / kind / name, _PACKAGE.parent / kind / name]
    for place in places:
        if place.exists():
            return place
    raise FileNotFoundError(
        f"shipped file {kind}/{name} not found (looked in {', '.join(map(str, places))}); "
        "reinstall textmine"
    )
