"""Turning segmented comments into feature vectors: word and character n-gram TF-IDF.

:class:`DocumentVectorizer` takes :class:`~textmine.segment.Document` objects (or raw
strings, which it segments with the default segmenter), so that one segmentation per
comment serves every model that reads it.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from .segment import Document, default_segmenter

__all__ = ["DocumentVectorizer", "as_documents", "word_ngrams", "char_ngrams", "count_ngrams", "tfidf_of_counts"]


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
            grams.extend(clause[i:i + k] for i in range(len(clause) - k + 1))
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
        state.pop("_clause_cache", None)
        return state

    def _vectorizers(self):
        common = dict(lowercase=False, min_df=self.min_df, max_features=self.max_features,
                      sublinear_tf=True, dtype=__import__("numpy").float32)
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
        """Fit and return the feature matrix of ``X`` (CSR, float32)."""
        import scipy.sparse as sp

        docs = as_documents(X)
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

        from .errors import NotFittedError

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
        """Raw n-gram count matrices, one per vectorizer, with a row per comment (the sum
        of its clauses' rows) or per clause. Each clause is counted once and kept (up to
        ``cache_size`` clauses)."""
        import numpy as np
        import scipy.sparse as sp

        vectorizers = self._fitted_vectorizers()
        cache = self.__dict__.get("_clause_cache")
        n_clauses = sum(len(doc.clauses) for doc in docs)
        if cache is None or len(cache["tokens"]) + n_clauses > self.cache_size:
            cache = self.__dict__["_clause_cache"] = {"rows": {}, "tokens": [], "matrices": [None] * len(vectorizers)}
        # rows: clause text -> row (cheap to hash); when the same text comes with other
        # tokens (a "!" token, another segmenter), (text, tokens) -> row
        rows, known, picked, missing = cache["rows"], cache["tokens"], [], []
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
            for b, (vec, analyzer) in enumerate(zip(vectorizers, (_word_analyzer, _char_analyzer))):
                new = count_ngrams(missing, analyzer, vec.vocabulary_)
                old = cache["matrices"][b]
                cache["matrices"][b] = new if old is None else sp.vstack([old, new], format="csr")
        if not picked:
            return [sp.csr_matrix((0 if per_clause else len(docs), len(vec.vocabulary_)), dtype=np.float32)
                    for vec in vectorizers]
        picked = np.asarray(picked, np.int64)
        if per_clause:
            return [m[picked] for m in cache["matrices"]]
        owner = np.repeat(np.arange(len(docs)), [len(doc.clauses) for doc in docs])
        membership = sp.csr_matrix((np.ones(len(picked), np.float32), (owner, picked)), shape=(len(docs), len(known)))
        return [membership @ m for m in cache["matrices"]]


def count_ngrams(docs: Sequence, analyzer, vocabulary: dict[str, int]):
    """Raw counts of the in-vocabulary n-grams that ``analyzer`` finds in each document
    (CSR, float32): what ``CountVectorizer.transform`` gives, without its per-n-gram
    Python loop."""
    import numpy as np
    import scipy.sparse as sp

    found: list[int] = []  # vocabulary index of every n-gram, -1 when not in it
    bounds = [0]
    for doc in docs:
        grams = analyzer(doc)
        found.extend(map(vocabulary.get, grams, repeat(-1, len(grams))))
        bounds.append(len(found))
    found_array = np.asarray(found, np.int64)
    known = found_array >= 0
    indptr = np.concatenate([[0], np.cumsum(known)])[bounds]
    counts = sp.csr_matrix((np.ones(int(known.sum()), np.float32), found_array[known], indptr),
                           shape=(len(docs), len(vocabulary)))
    counts.sum_duplicates()
    return counts


def tfidf_of_counts(vectorizer, counts):
    """What ``vectorizer`` (a fitted sublinear, l2-normalised TfidfVectorizer) makes of raw
    counts: 1 + log(tf), times idf, rows scaled to unit length."""
    import numpy as np
    from sklearn.preprocessing import normalize

    counts = counts.astype(np.float32)
    np.log(counts.data, counts.data)
    counts.data += 1
    counts = counts.multiply(vectorizer.idf_.astype(np.float32)).tocsr()
    return normalize(counts, norm="l2", copy=False)
