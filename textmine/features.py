"""Turning segmented comments into feature vectors: word and character n-gram TF-IDF.

:class:`DocumentVectorizer` takes :class:`~textmine.segment.Document` objects (or raw
strings, which it segments with the default segmenter), so that one segmentation per
comment serves every model that reads it; :class:`ClauseCounts` keeps the n-gram counts
of the clauses seen, shared by the vectorizers of one model. :class:`NBScaling` weights
features by their naive-Bayes log-count ratios for a binary label.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import repeat

import numpy as np

from ._estimator import BaseEstimator, TransformerMixin
from .errors import NotFittedError
from .segment import Document, default_segmenter

__all__ = ["DocumentVectorizer", "NBScaling", "ClauseCounts", "share_clause_counts", "as_documents", "word_ngrams",
           "char_ngrams", "count_ngrams", "tfidf_of_counts", "char_gram_codes", "char_gram_ids"]


def as_documents(X: Sequence[object]) -> list[Document]:
    """``X`` as Documents: Documents pass through, anything else is segmented with the
    default segmenter."""
    if X and all(isinstance(x, Document) for x in X):
        return list(X)
    return default_segmenter().transform(X)


def word_ngrams(doc: Document, n: int = 2) -> list[str]:
    """Word unigrams and, within each clause, word n-grams up to ``n`` (joined by a space)."""
    grams = []
    for clause in doc.clause_tokens:
        grams.extend(clause)
        for k in range(2, n + 1):
            grams.extend(" ".join(clause[i:i + k]) for i in range(len(clause) - k + 1))
    return grams


def char_ngrams(doc: Document, low: int = 1, high: int = 3) -> list[str]:
    """Character n-grams of each clause, lengths ``low`` to ``high``."""
    grams = []
    for clause in doc.clauses:
        for k in range(low, high + 1):
            grams.extend(clause if k == 1 else [clause[i:i + k] for i in range(len(clause) - k + 1)])
    return grams


def _word_analyzer(doc: Document) -> list[str]:
    return word_ngrams(doc, 2)


def _char_analyzer(doc: Document) -> list[str]:
    return char_ngrams(doc, 1, 3)


class DocumentVectorizer(TransformerMixin, BaseEstimator):
    """Sparse TF-IDF features: word uni/bigrams and character 1-3-grams, side by side.

    Parameters
    ----------
    min_df : int, default=1
        Ignore n-grams seen in fewer comments.
    max_features : int, default=None
        Keep at most this many n-grams of each kind (by frequency).
    use_chars : bool, default=True
        Add the character n-grams (robust to segmentation errors and typos).
    cache_size : int, default=100000
        Remember the n-gram counts of this many distinct clauses. Every n-gram lies
        within one clause, so a comment's counts are the sum of its clauses' counts:
        feedback repeats its clauses ("送餐很快", "味道不错") and each is counted once.
        0 turns the cache off; the result is the same either way.
    """

    def __init__(self, *, min_df: int = 1, max_features: int | None = None, use_chars: bool = True,
                 cache_size: int = 100_000):
        self.min_df = min_df
        self.max_features = max_features
        self.use_chars = use_chars
        self.cache_size = cache_size

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_clause_counts", None)
        return state

    def _vectorizers(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        common = dict(lowercase=False, min_df=self.min_df, max_features=self.max_features,
                      sublinear_tf=True, dtype=np.float32)
        words = TfidfVectorizer(analyzer=_word_analyzer, **common)
        chars = TfidfVectorizer(analyzer=_char_analyzer, **common) if self.use_chars else None
        return words, chars

    def _fitted_vectorizers(self) -> list:
        """The fitted word vectorizer, then the character one when it is used."""
        return [self.words_] + ([self.chars_] if self.chars_ is not None else [])

    def fit(self, X, y=None):
        """Learn the vocabularies and IDF weights; returns self."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the feature matrix of ``X`` (CSR, float32). A refit forgets the
        clause counts of the earlier vocabularies (and leaves a cache shared with other
        vectorizers to them)."""
        import scipy.sparse as sp

        docs = as_documents(X)
        self.__dict__.pop("_clause_counts", None)
        self.words_, self.chars_ = self._vectorizers()
        parts = [self.words_.fit_transform(docs)]
        if self.chars_ is not None:
            parts.append(self.chars_.fit_transform(docs))
        return sp.hstack(parts, format="csr")

    def transform(self, X):
        """Feature matrix of ``X``: one row per comment, in order."""
        return self._transform(as_documents(X), per_clause=False)

    def transform_clauses(self, X):
        """Feature matrix with one row per clause of each comment of ``X``, in order: what
        :meth:`transform` gives for each clause taken as a comment of its own."""
        return self._transform(as_documents(X), per_clause=True)

    def _transform(self, docs: list[Document], per_clause: bool):
        import scipy.sparse as sp

        if not hasattr(self, "words_"):
            raise NotFittedError(self)
        vectorizers = self._fitted_vectorizers()
        if not self.cache_size:
            if per_clause:
                docs = [Document(text, (text,), (tokens,)) for doc in docs
                        for text, tokens in zip(doc.clauses, doc.clause_tokens)]
            return sp.hstack([vec.transform(docs) for vec in vectorizers], format="csr")
        counts = self._counts(docs, per_clause)
        return sp.hstack([tfidf_of_counts(vec, c) for vec, c in zip(vectorizers, counts)], format="csr")

    def _counts(self, docs: list[Document], per_clause: bool) -> list:
        """Raw n-gram count matrices, one per fitted vectorizer, with a row per comment
        (the sum of its clauses' rows) or per clause, from the clause counts this
        vectorizer keeps or shares (see :func:`share_clause_counts`)."""
        import scipy.sparse as sp

        shared = self.__dict__.get("_clause_counts")
        if shared is None:
            shared = self.__dict__["_clause_counts"] = ClauseCounts([self], self.cache_size)
        picked, matrices = shared.lookup(docs, self)
        if not picked:
            return [sp.csr_matrix((0 if per_clause else len(docs), m.shape[1]), dtype=np.float32) for m in matrices]
        picked = np.asarray(picked, np.int64)
        if per_clause:
            return [m[picked] for m in matrices]
        owner = np.repeat(np.arange(len(docs)), [len(doc.clauses) for doc in docs])
        membership = sp.csr_matrix((np.ones(len(picked), np.float32), (owner, picked)),
                                   shape=(len(docs), matrices[0].shape[0]))
        return [membership @ m for m in matrices]


class NBScaling(TransformerMixin, BaseEstimator):
    """Scale each feature column by its naive-Bayes log-count ratio,
    log(P(feature | positive) / P(feature | negative)), learnt from feature presence in
    ``fit`` with add-``alpha`` smoothing.

    Attributes
    ----------
    ratio_ : ndarray of float32, one value per column
    """

    def __init__(self, *, alpha: float = 1.0):
        self.alpha = alpha

    def fit(self, X, y):
        """Learn the ratios from a sparse feature matrix and 0/1 labels; returns self."""
        y = np.asarray(y)
        present = (X > 0).astype(np.float32)
        pos = np.asarray(present[y == 1].sum(axis=0)).ravel() + self.alpha
        neg = np.asarray(present[y == 0].sum(axis=0)).ravel() + self.alpha
        self.ratio_ = np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)
        return self

    def transform(self, X):
        """``X`` with every column multiplied by its ratio (CSR)."""
        if not hasattr(self, "ratio_"):
            raise NotFittedError(self)
        return X.multiply(self.ratio_).tocsr()


def share_clause_counts(vectorizers: Sequence[DocumentVectorizer], *, index: dict | None = None) -> "ClauseCounts | None":
    """Let fitted vectorizers that read the same comments (a model's classifier,
    sentiment scorer and polarity model) keep one clause cache: each new clause is then
    cut into n-grams and looked up once for all of them. Results do not change. Returns
    the shared cache (None when no vectorizer keeps one); ``index`` is what its
    :meth:`ClauseCounts.index` gave for the same vectorizers, saved with them."""
    members = [v for v in vectorizers if v is not None and hasattr(v, "words_") and v.cache_size]
    if not members:
        return None
    shared = ClauseCounts(members, min(v.cache_size for v in members), index=index)
    for v in members:
        v.__dict__["_clause_counts"] = shared
    return shared


class ClauseCounts:
    """Raw n-gram counts of the clauses seen so far, for one or more fitted
    :class:`DocumentVectorizer` (its *members*), up to ``size`` clauses.

    A comment's counts are the sum of its clauses' counts (every n-gram lies within one
    clause), and feedback repeats its clauses, so each clause is counted once. A new
    clause's n-grams are looked up in the union of the members' vocabularies, then
    mapped to each member's columns.

    Safe to share between threads: :meth:`lookup` holds a lock while it reads and grows
    the cache, and hands back matrices that are never changed afterwards (new clauses
    go into new matrices), so a call made while another empties the cache keeps its own.
    """

    def __init__(self, members: Sequence[DocumentVectorizer], size: int, *, index: dict | None = None):
        self.members = list(members)
        self.size = size
        self._lock = threading.Lock()
        # (analyzer, union vocabulary (None for characters of a saved index: their codes
        # serve), each member's column of each union id or -1)
        self.kinds = []
        fitted = [m._fitted_vectorizers() for m in self.members]
        # each member's number of columns of each kind (the length of its IDF weights)
        self.widths = [[len(f[kind]._tfidf.idf_) if len(f) > kind else 0 for f in fitted] for kind in range(2)]
        analyzers = (_word_analyzer, _char_analyzer)
        if index is not None and index["widths"] == self.widths and "char_codes" in index:
            self.kinds = [(analyzer, union, list(columns))
                          for analyzer, union, columns in zip(analyzers, index["unions"], index["columns"])]
            self._char_codes = tuple(index["char_codes"])
            self.clear()
            return
        for kind, analyzer in enumerate(analyzers):
            vocabularies = [f[kind].vocabulary_ if len(f) > kind else {} for f in fitted]
            largest = max(vocabularies, key=len)
            # ids of the largest vocabulary's n-grams are its columns; a copy only when others add to it
            union: dict[str, int] = dict(largest) if len(vocabularies) > 1 else largest
            for vocabulary in vocabularies:
                new = [] if vocabulary is largest else [gram for gram in vocabulary if gram not in union]
                union.update(zip(new, range(len(union), len(union) + len(new))))
            columns = []
            for vocabulary in vocabularies:
                column = np.full(len(union), -1, np.int32)
                if vocabulary is largest:
                    column[:len(largest)] = np.arange(len(largest))
                else:
                    column[np.fromiter(map(union.__getitem__, vocabulary), np.int64, len(vocabulary))] = \
                        np.fromiter(vocabulary.values(), np.int64, len(vocabulary))
                columns.append(column)
            self.kinds.append((analyzer, union, columns))
        self.clear()

    def _codes(self) -> tuple[np.ndarray, np.ndarray]:
        """The character n-grams of the union vocabulary as sorted codes (see
        :func:`char_gram_codes`) and their union ids, built on first use."""
        codes = self.__dict__.get("_char_codes")
        if codes is None:
            codes = self._char_codes = char_gram_codes(self.kinds[1][1])
        return codes

    def index(self) -> dict:
        """What the constructor builds from the members' vocabularies (the union of the
        word n-gram vocabularies, the character n-grams' codes, each member's column of
        each union id, the widths they were built for), to be saved with the members and
        given back as ``index``: a loaded model then need not build it again."""
        return {"unions": [self.kinds[0][1], None], "columns": [columns for _, _, columns in self.kinds],
                "widths": self.widths, "char_codes": list(self._codes())}

    def clear(self) -> None:
        """Forget every clause."""
        import scipy.sparse as sp

        # rows: clause text -> row (cheap to hash); when the same text comes with other
        # tokens (a "!" token, another segmenter), (text, tokens) -> row
        self.rows: dict = {}
        self.tokens: list[tuple] = []
        self.matrices = [[sp.csr_matrix((0, widths[i]), dtype=np.float32) for widths in self.widths]
                         for i in range(len(self.members))]

    def lookup(self, docs: list[Document], member: DocumentVectorizer) -> tuple[list[int], list]:
        """The row of each clause of ``docs`` in order, counting the clauses not seen
        before, and ``member``'s count matrices (word n-grams, then characters if used)."""
        with self._lock:
            return self._lookup(docs, member)

    def _lookup(self, docs: list[Document], member: DocumentVectorizer) -> tuple[list[int], list]:
        if sum(len(doc.clauses) for doc in docs) + len(self.tokens) > self.size:
            self.clear()
        rows, known, picked, missing = self.rows, self.tokens, [], []
        for doc in docs:
            for text, tokens in zip(doc.clauses, doc.clause_tokens):
                key = text
                row = rows.get(key)
                if row is not None and known[row] is not tokens and known[row] != tokens:
                    key = (text, tokens)
                    row = rows.get(key)
                if row is None:
                    row = rows[key] = len(known)
                    known.append(tokens)
                    missing.append(Document(text, (text,), (tokens,)))
                picked.append(row)
        if missing:
            self._count(missing)
        index = next(i for i, m in enumerate(self.members) if m is member)
        return picked, self.matrices[index][:len(member._fitted_vectorizers())]

    def _count(self, clauses: list[Document]) -> None:
        """Append the counts of new clauses to every member's matrices."""
        import scipy.sparse as sp

        for kind, (analyzer, union, columns) in enumerate(self.kinds):
            if not len(columns[0]):  # no member has n-grams of this kind
                continue
            if analyzer is _char_analyzer:  # all clauses at once, in numpy
                found, bounds = char_gram_ids([clause.text for clause in clauses], *self._codes())
            else:
                found, bounds = _vocabulary_indices(clauses, analyzer, union)
            inside = found >= 0
            for matrices, column, width in zip(self.matrices, columns, self.widths[kind]):
                mapped = np.full(len(found), -1, np.int64)
                mapped[inside] = column[found[inside]]
                matrices[kind] = sp.vstack([matrices[kind], _count_matrix(mapped, bounds, width)], format="csr")


def _code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of ``texts`` end to end (int64, two zeros after the last) and the
    length of each text."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    return np.concatenate([points.astype(np.int64), np.zeros(2, np.int64)]), lengths


def char_gram_codes(vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The 1- to 3-character n-grams of ``vocabulary`` as int64 codes, sorted, and their
    ids. A code packs the n-gram's code points (21 bits each, the first highest, a
    missing one 0), so two n-grams have the same code only when they are the same; an
    n-gram holding U+0000 or longer than 3 is left out (:func:`char_gram_ids` never
    finds one)."""
    grams = list(vocabulary)
    ids = np.fromiter(vocabulary.values(), np.int64, len(grams))
    points, lengths = _code_points(grams)
    starts = np.cumsum(lengths) - lengths
    first, second, third = (np.where(lengths > k, points[np.minimum(starts + k, len(points) - 1)], 0) for k in range(3))
    codes = first << 42 | second << 21 | third
    keep = (lengths >= 1) & (lengths <= 3) & ((first != 0) & ((second != 0) | (lengths < 2)) & ((third != 0) | (lengths < 3)))
    order = np.argsort(codes[keep], kind="stable")
    return codes[keep][order], ids[keep][order]


def char_gram_ids(texts: list[str], codes: np.ndarray, ids: np.ndarray):
    """What :func:`_vocabulary_indices` gives for the character 1-3-grams of each text
    (the id of every n-gram, -1 when not in the vocabulary, and where each text's
    n-grams end), for all texts at once: each text's n-grams are packed as in
    :func:`char_gram_codes` and looked up by binary search. A text's n-grams come in
    another order (that of their start, then their length) with a -1 wherever an
    n-gram would run past the text's end; counts do not change."""
    points, lengths = _code_points(texts)
    n = len(points) - 2
    ends = np.repeat(np.cumsum(lengths), lengths)
    grams = np.empty((n, 3), np.int64)
    grams[:, 0] = points[:n] << 42
    grams[:, 1] = grams[:, 0] | points[1:n + 1] << 21
    grams[:, 2] = grams[:, 1] | points[2:n + 2]
    fits = np.arange(n)[:, None] + np.arange(1, 4) <= ends[:, None]
    if not points[:n].all():  # an n-gram holding U+0000 is never in the vocabulary
        zero = points == 0
        fits &= ~np.column_stack([zero[:n], zero[:n] | zero[1:n + 1], zero[:n] | zero[1:n + 1] | zero[2:n + 2]])
    grams = grams.ravel()
    where = np.minimum(np.searchsorted(codes, grams), max(len(codes) - 1, 0))
    hit = fits.ravel() & (codes[where] == grams) if len(codes) else np.zeros(len(grams), bool)
    found = np.where(hit, ids[where] if len(ids) else -1, -1)
    return found, np.concatenate([[0], np.cumsum(lengths * 3)]).tolist()


def _vocabulary_indices(docs: Sequence, analyzer, vocabulary: dict[str, int]):
    """The vocabulary index of every n-gram ``analyzer`` finds in ``docs`` (-1 when not in
    it), and where each document's n-grams end."""
    found: list[int] = []
    bounds = [0]
    for doc in docs:
        grams = analyzer(doc)
        found.extend(map(vocabulary.get, grams, repeat(-1, len(grams))))
        bounds.append(len(found))
    return np.asarray(found, np.int64), bounds


def _count_matrix(found, bounds: list[int], n_columns: int):
    """CSR counts (float32), one row per document, from :func:`_vocabulary_indices`."""
    import scipy.sparse as sp

    known = found >= 0
    indptr = np.concatenate([[0], np.cumsum(known)])[bounds]
    counts = sp.csr_matrix((np.ones(int(known.sum()), np.float32), found[known], indptr),
                           shape=(len(bounds) - 1, n_columns))
    counts.sum_duplicates()
    return counts


def count_ngrams(docs: Sequence, analyzer, vocabulary: dict[str, int]):
    """Raw counts of the in-vocabulary n-grams that ``analyzer`` finds in each document
    (CSR, float32): what ``CountVectorizer.transform`` gives, without its per-n-gram
    Python loop."""
    found, bounds = _vocabulary_indices(docs, analyzer, vocabulary)
    return _count_matrix(found, bounds, len(vocabulary))


def tfidf_of_counts(vectorizer, counts):
    """What ``vectorizer`` (a fitted sublinear, l2-normalised TfidfVectorizer) makes of raw
    counts: 1 + log(tf), times idf, rows scaled to unit length. Reads only the fitted
    weights (``vectorizer._tfidf.idf_``, the array behind its ``idf_``), so that a model
    loaded from a file predicts without building scikit-learn's objects."""
    import scipy.sparse as sp

    counts = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    np.log(counts.data, counts.data)
    counts.data += 1
    counts.data *= np.asarray(vectorizer._tfidf.idf_, np.float32)[counts.indices]
    row = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(row, weights=counts.data.astype(np.float64) ** 2, minlength=counts.shape[0]))
    norms[norms == 0] = 1
    counts.data /= norms[row].astype(np.float32)
    return counts
