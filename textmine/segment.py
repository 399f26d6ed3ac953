"""Segmentation of normalised Chinese feedback into clauses and tokens, with jieba's
dictionary and behaviour: ``rjieba`` (bindings to the compiled jieba-rs) where it is
installed, ``jieba`` itself otherwise.

A :class:`Segmenter` turns a comment into a :class:`Document`: the normalised text, cut
into clauses (at punctuation and before contrast words such as 但是 / 不过), each clause
cut into tokens. Tokens are lower-cased; punctuation and stopwords are dropped, except
that a clause ended by ``?`` or ``!`` gets a ``?`` or ``!`` token; emoji are kept; a negation joins the word it negates ("不 新鲜" -> "不新鲜", "不太 好吃" ->
"不太好吃"), so that a model sees one feature, not two.

The dictionary is loaded once per backend and set of dictionaries, lazily, on the first
cut; ``import textmine.segment`` costs almost nothing.
"""
from __future__ import annotations

import functools
import importlib.util
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from ._estimator import BaseEstimator, TransformerMixin
from .normalise import normalise_text
from .resources import resource_path

__all__ = ["Document", "Segmenter", "tokenize", "default_segmenter", "load_word_list", "clear_tokenizer_cache"]

NEGATIONS = frozenset({
    "不", "没", "没有", "无", "未", "别", "不是", "并不", "从不", "不会", "不能", "没什么", "毫无",
    "不太", "不够", "不怎么", "没那么", "不是很", "不算", "不大", "不怎么样",
})
# Degree words a negation may reach across: 不太好, 没那么快, 不是很新鲜.
_DEGREE_AFTER_NEGATION = frozenset({"太", "很", "是", "那么", "怎么", "够", "算", "大", "咋", "是很", "太过", "十分", "特别", "非常", "很够"})
CONTRAST_WORDS = frozenset({"但是", "但", "不过", "可是", "然而", "只是", "就是", "可惜", "而是"})
# Clause breaks: punctuation; a full stop except between two digits (a decimal point);
# white space except between two Latin letters or digits ("iPhone 12 Pro" is one name).
_CLAUSE_BREAK = re.compile(r"((?:[,!?;~，。！？；～…]|(?<!\d)\.|\.(?!\d)|(?<![A-Za-z0-9])\s|\s(?![A-Za-z0-9]))+)")
# Marks a clause that was a question or an exclamation; kept as a token (it changes polarity:
# "油耗高吗?" asks, "油耗高!" complains).
QUESTION, EXCLAMATION = "?", "!"
_MAX_PIECE = 200  # characters handed to jieba at once
BACKENDS = ("auto", "rjieba", "jieba")
# a line of a jieba dictionary: word [frequency] [tag], as jieba.load_userdict reads it
_USER_DICT_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")


class Document(NamedTuple):
    """A segmented comment (an immutable named tuple: cheap to make by the thousand).

    Attributes
    ----------
    text : str
        The normalised comment.
    clauses : tuple of str
        The comment cut into clauses, in order (empty for an empty comment).
    clause_tokens : tuple of tuple of str
        The tokens of each clause, same length as ``clauses``.
    """

    text: str
    clauses: tuple[str, ...]
    clause_tokens: tuple[tuple[str, ...], ...]

    @property
    def tokens(self) -> list[str]:
        """All tokens of the comment, in order."""
        return [t for clause in self.clause_tokens for t in clause]


def load_word_list(source: str | Path | Iterable[str] | None) -> list[str]:
    """Read a word list: a path to a UTF-8 file (one entry a line, ``#`` comments), or an
    iterable of words. ``None`` gives an empty list.

    Raises
    ------
    InputError
        When the file is not UTF-8, naming the file and line.
    """
    if source is None:
        return []
    if isinstance(source, (str, Path)):
        return list(_dictionary_lines(source))
    return [str(w).strip() for w in source if str(w).strip()]


def _dictionary_lines(path: str | Path):
    """The stripped lines of a UTF-8 word-list or dictionary file, blank lines and ``#``
    comments left out.

    Raises
    ------
    InputError
        When the file is not UTF-8, naming the file and line.
    """
    from .errors import InputError

    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8-sig").strip()
            except UnicodeDecodeError:
                raise InputError("not UTF-8 text", path=str(path), row=lineno) from None
            if line and not line.startswith("#"):
                yield line


_tokenizer_lock = threading.RLock()
_tokenizers: dict[tuple, object] = {}


def resolve_backend(backend: str) -> str:
    """The segmenter backend to use: ``"auto"`` is ``"rjieba"`` when it is installed,
    else ``"jieba"``.

    Raises
    ------
    ValueError
        For a name not in ``BACKENDS``, quoting it.
    """
    from .errors import BAD_CHOICE

    if backend not in BACKENDS:
        raise ValueError(BAD_CHOICE.format(name="backend", value=backend, allowed=", ".join(BACKENDS)))
    if backend == "auto":
        return "rjieba" if importlib.util.find_spec("rjieba") is not None else "jieba"
    return backend


def _get_tokenizer(backend: str, dictionaries: tuple[str, ...], words: tuple[str, ...]):
    """The tokenizer of ``backend`` (``"rjieba"`` or ``"jieba"``) for these dictionaries
    and extra words, built once."""
    key = (backend, dictionaries, words)
    with _tokenizer_lock:
        tok = _tokenizers.get(key)
        if tok is None:
            if backend == "rjieba":
                import rjieba

                tok = rjieba.Jieba()
                for path in dictionaries:
                    _load_user_dict(tok, path)
                for word in words:
                    tok.add_word(word, None, None)
            else:
                import logging

                # importing jieba sets its logger to DEBUG, and building its dictionary
                # reports at DEBUG on stderr: quiet while both happen, then the level as
                # the host had it
                log = logging.getLogger("jieba")
                level = log.level
                try:
                    import jieba

                    log.setLevel(max(level, logging.WARNING))
                    tok = jieba.Tokenizer()
                    tok.initialize()
                finally:
                    log.setLevel(level)
                for path in dictionaries:
                    tok.load_userdict(path)
                for word in words:
                    tok.add_word(word)
            _tokenizers[key] = tok
        return tok


def _load_user_dict(tokenizer, path: str) -> None:
    """Add the words of a jieba dictionary file (``word [freq] [tag]`` a line, ``#``
    comments) to an rjieba tokenizer, as ``jieba.Tokenizer.load_userdict`` does: a word
    without a frequency gets the one that keeps it whole."""
    for line in _dictionary_lines(path):
        word, freq, tag = _USER_DICT_LINE.match(line).groups()
        tokenizer.add_word(word, int(freq) if freq else None, tag.strip() if tag else None)


def clear_tokenizer_cache() -> None:
    """Forget every built tokenizer (tests use this to start clean)."""
    with _tokenizer_lock:
        _tokenizers.clear()


def _jieba_cut(tokenizer, sentence: str, hmm_runs: dict) -> list[str]:
    """``tokenizer.lcut(sentence)``: jieba's accurate mode, with its HMM for the runs of
    characters its dictionary does not cover, remembering the HMM's cut of each run in
    ``hmm_runs``. The same runs recur from comment to comment, and the HMM's Viterbi (pure
    Python) costs about as much as the rest of the cut. Only jieba's public parts are
    used: the regular expressions that cut a text into blocks, ``FREQ``, ``total`` and
    the HMM's probabilities (see :func:`_hmm_cut`)."""
    import jieba

    han, skip = jieba.re_han_default, jieba.re_skip_default
    words: list[str] = []

    def flush(run: str) -> None:
        if len(run) == 1 or tokenizer.FREQ.get(run):
            words.extend(run)
            return
        cut = hmm_runs.get(run)
        if cut is None:
            cut = hmm_runs[run] = _hmm_cut(run)
        words.extend(cut)

    for block in han.split(sentence):
        if not block:
            continue
        if not han.match(block):
            for part in skip.split(block):
                if skip.match(part):
                    words.append(part)
                else:
                    words.extend(part)
            continue
        ends = _best_word_ends(tokenizer, block)
        start, run, end = 0, "", len(block)
        while start < end:
            stop = ends[start] + 1
            if stop - start == 1:
                run += block[start]
            else:
                if run:
                    flush(run)
                    run = ""
                words.append(block[start:stop])
            start = stop
        if run:
            flush(run)
    return words


def _hmm_cut(run: str) -> tuple[str, ...]:
    """``tuple(jieba.finalseg.cut(run))``: jieba's HMM guess of the words in a run of
    characters, with its Viterbi written out for its four states (Begin, Middle, End,
    Single) and back-pointers instead of copied paths; same arithmetic, same choice
    between equal scores."""
    from jieba import finalseg

    words: list[str] = []
    for block in finalseg.re_han.split(run):
        if not finalseg.re_han.match(block):
            words += [part for part in finalseg.re_skip.split(block) if part]
            continue
        for word in _viterbi_words(block, finalseg):
            if word in finalseg.Force_Split_Words:
                words.extend(word)
            else:
                words.append(word)
    return tuple(words)


def _viterbi_words(block: str, finalseg) -> list[str]:
    low = finalseg.MIN_FLOAT
    start, trans = finalseg.start_P, finalseg.trans_P
    emit_b, emit_m, emit_e, emit_s = (finalseg.emit_P[k] for k in "BMES")
    b_e, b_m = trans["B"].get("E", low), trans["B"].get("M", low)
    e_b, e_s = trans["E"].get("B", low), trans["E"].get("S", low)
    m_m, m_e = trans["M"].get("M", low), trans["M"].get("E", low)
    s_b, s_s = trans["S"].get("B", low), trans["S"].get("S", low)
    first = block[0]
    vb, vm = start["B"] + emit_b.get(first, low), start["M"] + emit_m.get(first, low)
    ve, vs = start["E"] + emit_e.get(first, low), start["S"] + emit_s.get(first, low)
    back = []  # per character after the first: the best previous state of B, M, E, S
    for char in block[1:]:
        em = emit_b.get(char, low)
        x, y = ve + e_b + em, vs + s_b + em
        nb, pb = (y, "S") if y >= x else (x, "E")  # on a tie the later state letter wins, as in jieba
        em = emit_m.get(char, low)
        x, y = vm + m_m + em, vb + b_m + em
        nm, pm = (x, "M") if x >= y else (y, "B")
        em = emit_e.get(char, low)
        x, y = vb + b_e + em, vm + m_e + em
        ne, pe = (y, "M") if y >= x else (x, "B")
        em = emit_s.get(char, low)
        x, y = vs + s_s + em, ve + e_s + em
        ns, ps = (x, "S") if x >= y else (y, "E")
        back.append({"B": pb, "M": pm, "E": pe, "S": ps})
        vb, vm, ve, vs = nb, nm, ne, ns
    state = "S" if vs >= ve else "E"
    states = [state]
    for step in reversed(back):
        state = step[state]
        states.append(state)
    states.reverse()
    words, begin, after = [], 0, 0
    for i, state in enumerate(states):
        if state == "B":
            begin = i
        elif state == "E":
            words.append(block[begin:i + 1])
            after = i + 1
        elif state == "S":
            words.append(block[i])
            after = i + 1
    if after < len(block):
        words.append(block[after:])
    return words


def _best_word_ends(tokenizer, block: str) -> list[int]:
    """Where the word starting at each character of ``block`` ends (inclusive) on the
    most probable path through jieba's dictionary: ``tokenizer.get_DAG`` and
    ``tokenizer.calc`` in one pass, with the same arithmetic and the same choice
    between equally probable words (the longer)."""
    from math import log

    freq = tokenizer.FREQ
    log_total = log(tokenizer.total)
    n = len(block)
    best = [0.0] * (n + 1)  # log probability of the best path from each position
    ends = [0] * n
    for start in range(n - 1, -1, -1):
        top, end = None, start
        i, fragment = start, block[start]
        while i < n:
            count = freq.get(fragment)
            if count is None:
                break
            if count:
                score = log(count) - log_total + best[i + 1]
                if top is None or score >= top:
                    top, end = score, i
            i += 1
            fragment = block[start:i + 1]
        if top is None:  # no dictionary word starts here: the character alone
            top = log(freq.get(block[start]) or 1) - log_total + best[start + 1]
        best[start], ends[start] = top, end
    return ends


class _Runtime(NamedTuple):
    """A :class:`Segmenter`'s set-up for one set of parameters, replaced as a whole.

    The two caches are plain dicts that threads share: each read, write or clear is one
    atomic dict operation, every value stored is an immutable tuple, and a miss is simply
    computed again, so no lock is needed around them."""

    settings: tuple  # the parameters it was built from (see Segmenter._settings)
    tokenizer: object
    stopwords: frozenset
    pieces: dict  # clauses of each piece of text
    hmm_runs: dict  # HMM cut of each run of characters missing from the dictionaries
    backend: str  # "rjieba" or "jieba" (see resolve_backend)
    sources: tuple  # (dictionary files, user words) the tokenizer was built from


_state_lock = threading.Lock()


def _same(built: tuple, current: tuple) -> bool:
    return all(a is b for a, b in zip(built, current))


@functools.lru_cache(maxsize=1 << 16)
def _is_punctuation(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PZC" or ch in "^`|<>=+$" for ch in token)


class Segmenter(TransformerMixin, BaseEstimator):
    """Normalise and segment comments; a stateless scikit-learn transformer.

    Parameters
    ----------
    user_dict : str, Path or list of str, default=None
        The user's own dictionary: a jieba dictionary file (``word [freq] [tag]`` a line)
        or a list of words, added to the project's feedback dictionary.
    stopwords : str, Path or list of str, default=None
        Replaces the project's stopword list (``corpora/stopwords.txt``).
    extra_stopwords : str, Path or list of str, default=None
        Added to the stopword list.
    negation : bool, default=True
        Join a negation with the word it negates ("不新鲜").
    hmm : bool, default=True
        Let jieba guess words missing from its dictionaries with its HMM. Turning it
        off makes segmenting new text about 1.5 times faster; the character n-grams
        the models also read partly cover the words it would have found.
    use_project_dictionary : bool, default=True
        Load ``corpora/feedback_dict.txt`` into jieba.
    backend : {"auto", "rjieba", "jieba"}, default="auto"
        Who cuts: ``rjieba`` (jieba-rs, compiled: about 15 times faster, the same
        dictionary, HMM and user words) or ``jieba``; ``"auto"`` takes rjieba when it is
        installed. The two agree on nearly every comment (see
        ``benchmarks/bench_distinct.py``).
    cache_size : int, default=200000
        Remember the tokens of this many distinct clauses (feedback repeats itself:
        "好评", "送餐很快"); 0 turns the cache off. The cache is emptied when full.
    """

    def __init__(self, *, user_dict=None, stopwords=None, extra_stopwords=None,
                 negation: bool = True, hmm: bool = True, use_project_dictionary: bool = True,
                 cache_size: int = 200_000, backend: str = "auto"):
        self.user_dict = user_dict
        self.stopwords = stopwords
        self.extra_stopwords = extra_stopwords
        self.negation = negation
        self.hmm = hmm
        self.use_project_dictionary = use_project_dictionary
        self.cache_size = cache_size
        self.backend = backend

    # -- set-up (lazy, not part of the parameters) ----------------------------------
    def _settings(self) -> tuple:
        """The parameters the set-up and the cached cuts depend on (all but ``cache_size``)."""
        return (self.user_dict, self.stopwords, self.extra_stopwords, self.negation, self.hmm,
                self.use_project_dictionary, self.backend)

    def _state(self) -> _Runtime:
        """The tokenizer, stopwords and caches for the current parameters: built on first
        use, under a lock, and built again when a parameter has been given another value
        (by ``set_params`` or assignment; a list changed in place is not noticed)."""
        state = self.__dict__.get("_runtime")
        if state is None or not _same(state.settings, self._settings()):
            with _state_lock:
                state = self.__dict__.get("_runtime")
                settings = self._settings()
                if state is None or not _same(state.settings, settings):
                    state = self.__dict__["_runtime"] = self._build_state(settings)
        return state

    def _build_state(self, settings: tuple) -> _Runtime:
        dictionaries, words = [], []
        if self.use_project_dictionary:
            dictionaries.append(str(resource_path("corpora", "feedback_dict.txt")))
        if isinstance(self.user_dict, (str, Path)):
            dictionaries.append(str(self.user_dict))
        elif self.user_dict is not None:
            words = load_word_list(self.user_dict)
        stop_source = self.stopwords
        if stop_source is None:
            stop_source = resource_path("corpora", "stopwords.txt")
        stop = set(load_word_list(stop_source)) | set(load_word_list(self.extra_stopwords))
        backend = resolve_backend(self.backend)
        sources = (tuple(dictionaries), tuple(words))
        return _Runtime(settings, _get_tokenizer(backend, *sources), frozenset(stop), {}, {}, backend, sources)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_runtime", None)  # the tokenizer and cache are rebuilt on first use
        return state

    def __setstate__(self, state):
        state.setdefault("hmm", True)  # segmenters saved before the option existed used it
        state.setdefault("backend", "auto")
        self.__dict__.update(state)

    # -- the work ---------------------------------------------------------------
    def _cut_clause(self, piece: str) -> list[list[str]]:
        _, tokenizer, stop, _, hmm_runs, backend, _ = self._state()
        if backend == "rjieba":
            cut = tokenizer.cut(piece, self.hmm)
        elif self.hmm:
            if len(hmm_runs) >= (self.cache_size or 1):
                hmm_runs.clear()
            cut = _jieba_cut(tokenizer, piece, hmm_runs)
        else:
            cut = tokenizer.lcut(piece, HMM=False)
        raw = [t.strip().lower() for t in cut]
        raw = [t for t in raw if t and not _is_punctuation(t)]
        clauses: list[list[str]] = [[]]
        i = 0
        while i < len(raw):
            tok = raw[i]
            if tok in CONTRAST_WORDS and clauses[-1]:
                clauses.append([])
            if self.negation and tok in NEGATIONS and i + 1 < len(raw) and raw[i + 1] not in NEGATIONS:
                j = i + 1
                if raw[j] in _DEGREE_AFTER_NEGATION and j + 1 < len(raw):
                    j += 1
                tok = "".join(raw[i:j + 1])
                i = j
            if tok not in stop:
                clauses[-1].append(tok)
            i += 1
        return clauses

    def document(self, value: object) -> Document:
        """Normalise and segment one comment; never raises on any input value."""
        text = normalise_text(value)
        if not text:
            return Document(text, (), ())
        cache = self._state().pieces
        clauses, tokens = [], []
        parts = _CLAUSE_BREAK.split(text)
        parts.append("")
        for k in range(0, len(parts) - 1, 2):
            piece, brk = parts[k], parts[k + 1]
            if not piece:
                continue
            mark = QUESTION if "?" in brk else EXCLAMATION if "!" in brk else None
            # jieba slows down badly on very long runs without punctuation (a megabyte of
            # "aaaa"): cut them into slices first, so the cost stays linear
            for start in range(0, len(piece) - _MAX_PIECE, _MAX_PIECE):
                hit = self._cached_piece(cache, piece[start:start + _MAX_PIECE], None)
                clauses += hit[0]
                tokens += hit[1]
            hit = self._cached_piece(cache, piece[(len(piece) - 1) // _MAX_PIECE * _MAX_PIECE:], mark)
            clauses += hit[0]
            tokens += hit[1]
        return Document(text, tuple(clauses), tuple(tokens))

    def _cached_piece(self, cache: dict, piece: str, mark: str | None) -> tuple[tuple, tuple]:
        """:meth:`_piece_clauses`, remembered (up to ``cache_size`` pieces)."""
        key = piece if mark is None else (piece, mark)
        hit = cache.get(key)
        if hit is None:
            hit = self._piece_clauses(piece, mark)
            if self.cache_size:
                if len(cache) >= self.cache_size:
                    cache.clear()
                cache[key] = hit
        return hit

    def _piece_clauses(self, piece: str, mark: str | None) -> tuple[tuple, tuple]:
        """(clause texts, clause token tuples) of one piece; ``mark`` (? or !) is added
        as a token to the last clause."""
        cut = [part for part in self._cut_clause(piece) if part]
        if not cut:
            return (), ()
        if mark:
            cut[-1] = cut[-1] + [mark]
        if len(cut) == 1:
            return (piece,), (tuple(cut[0]),)
        return (tuple("".join(t for t in part if t not in (QUESTION, EXCLAMATION)) for part in cut),
                tuple(tuple(part) for part in cut))

    def lcut(self, value: object) -> list[str]:
        """Tokens of one comment as a list (``[]`` for empty or non-text input)."""
        return self.document(value).tokens

    def fit(self, X=None, y=None):
        """Nothing to learn; returns self."""
        return self

    def transform(self, X: Sequence[object]) -> list[Document]:
        """Segment each comment; same length and order as ``X``."""
        if isinstance(X, Document):
            raise TypeError("transform takes a list of comments, not a single Document")
        return [x if isinstance(x, Document) else self.document(x) for x in X]

    def stopword_set(self) -> frozenset[str]:
        """The stopwords in use: ``stopwords`` (or the project's list) plus ``extra_stopwords``."""
        return self._state().stopwords

    def pos_cut(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech tag) pairs of a normalised text, with jieba.posseg (with
        either backend: its tags come from jieba's own tagger)."""
        tokenizer = _get_tokenizer("jieba", *self._state().sources)
        with _tokenizer_lock:
            # one tagger per tokenizer, kept on it: jieba hands a tokenizer's user-word
            # tags to the first tagger built on it only
            tagger = getattr(tokenizer, "textmine_tagger", None)
            if tagger is None:
                import jieba.posseg

                tagger = tokenizer.textmine_tagger = jieba.posseg.POSTokenizer(tokenizer)
        return [(w, f) for w, f in tagger.lcut(text)]


_default_lock = threading.Lock()
_default: list[Segmenter] = []


def default_segmenter() -> Segmenter:
    """The shared default :class:`Segmenter` (project dictionary and stopwords)."""
    with _default_lock:
        if not _default:
            _default.append(Segmenter())
        return _default[0]


def tokenize(text: object) -> list[str]:
    """Tokens of one comment with the default segmenter, like ``jieba.lcut``."""
    return default_segmenter().lcut(text)
