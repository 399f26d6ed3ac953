"""Text normalisation for Chinese feedback: ``str -> str``, pure and cheap.

:func:`normalise_text` applies, in order:

1. anything that is not a string (``None``, NaN, numbers) becomes ``""``; lone
   surrogates and control characters are dropped;
2. Unicode NFKC: full-width letters, digits and punctuation become half-width;
3. traditional Chinese becomes simplified (OpenCC ``t2s``, only when the text holds a
   traditional character, so simplified text pays nothing);
4. URLs, e-mail addresses, ID-card numbers and mobile numbers are replaced by the
   mask tokens ``URL``, ``EMAIL``, ``IDNO`` and ``PHONE``, so personal data never reaches
   a model, an output file or a report;
5. runs of the same punctuation mark collapse to one and whitespace to one space.

Emoji are kept: they carry sentiment and the segmenter keeps each as a token.
"""
from __future__ import annotations

import re
import threading
import unicodedata

__all__ = ["normalise_text", "mask_personal_data", "to_simplified", "MASK_TOKENS"]

MASK_TOKENS = ("URL", "EMAIL", "IDNO", "PHONE")

_URL = re.compile(r"(?:https?://|www\.)[^\s\u4e00-\u9fff，。！？]{1,2000}", re.IGNORECASE)
# Bounded repeats keep the scan linear on long runs of letters (an unbounded [\w.]+ before
# "@" backtracks quadratically on a megabyte of text).
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
# 18-digit resident ID (last may be X) and 15-digit legacy IDs, not inside longer numbers.
_IDNO = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?![\dXx])")
# Mainland mobile numbers, optionally with +86 / 86 and separators: 138-1234-5678.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_THREE_DIGITS = re.compile(r"\d\d\d")  # both ID and phone numbers hold three digits in a row
_REPEATED_PUNCT = re.compile(r"([!?.,;:~。，！？；：、…\-_=*#])\1+")
_SPACES = re.compile(r"\s+")
# C0/C1 control characters (tab and newline become spaces first) and lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

_t2s_lock = threading.Lock()
_t2s_state: dict[str, object] = {}


def _t2s_tables() -> tuple[frozenset[str], object]:
    """Return (traditional characters, OpenCC converter), built once on first use."""
    with _t2s_lock:
        if not _t2s_state:
            from opencc import OpenCC  # imported here: only paid when first needed
            import os

            import opencc

            path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
            trad = set()
            with open(path, encoding="utf-8") as f:
                for line in f:
                    src, _, dst = line.rstrip("\n").partition("\t")
                    if src and dst.split(" ")[0] != src:
                        trad.add(src)
            _t2s_state["chars"] = frozenset(trad)
            _t2s_state["cc"] = OpenCC("t2s")
        return _t2s_state["chars"], _t2s_state["cc"]  # type: ignore[return-value]


def to_simplified(text: str) -> str:
    """Convert traditional Chinese to simplified; text with no traditional character is
    returned unchanged without running the converter."""
    chars, cc = _t2s_tables()
    if chars.isdisjoint(text):
        return text
    return cc.convert(text)  # type: ignore[attr-defined]


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return ""  # None, NaN, numbers and other non-text values carry no comment


def mask_personal_data(text: str) -> str:
    """Replace URLs, e-mail addresses, ID-card numbers and mobile numbers in ``text`` by
    ``URL``, ``EMAIL``, ``IDNO`` and ``PHONE`` (with a space either side), leaving the
    rest as it is. Full-width digits and letters are seen only after NFKC, as
    :func:`normalise_text` applies it first."""
    # each mask runs only when its cheap precondition holds: most comments need none
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        text = _URL.sub(" URL ", text)
    if "@" in text:
        text = _EMAIL.sub(" EMAIL ", text)
    if _THREE_DIGITS.search(text):
        text = _IDNO.sub(" IDNO ", text)
        text = _PHONE.sub(" PHONE ", text)
    return text


def normalise_text(value: object) -> str:
    """Return the normalised form of one comment.

    Parameters
    ----------
    value : object
        The raw cell. Non-strings (``None``, ``float('nan')``, numbers) give ``""``.

    Returns
    -------
    str
        Simplified, half-width, masked text with collapsed punctuation and spaces, and no
        leading or trailing whitespace. Never raises on any input value.
    """
    text = _as_text(value)
    if not text:
        return ""
    if not text.isprintable():  # printable text holds no control character, tab or newline
        text = _CONTROL.sub("", text.replace("\t", " ").replace("\r", " ").replace("\n", " "))
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    text = _REPEATED_PUNCT.sub(r"\1", mask_personal_data(text))
    return _SPACES.sub(" ", text).strip()
