import numpy as np

from textmine.features import DocumentVectorizer, count_ngrams, _word_analyzer
from textmine.segment import Document, Segmenter

TEXTS = ["送餐太慢了，饭都凉了", "味道不错！送餐很快", "送餐太慢了!", "包装破了，汤洒了一半，客服不理人", "好评", ""]


def _fitted(cache_size):
    return DocumentVectorizer(cache_size=cache_size).fit(Segmenter().transform(TEXTS))


def test_features_clause_cache_gives_the_same_matrix():
    docs = Segmenter().transform(TEXTS + ["饭都凉了，味道不错"])
    cached, plain = _fitted(100_000), _fitted(0)
    first = cached.transform(docs)
    assert np.allclose(first.toarray(), plain.transform(docs).toarray())
    assert np.allclose(cached.transform(docs).toarray(), first.toarray())  # served from the cache


def test_features_same_clause_text_with_other_tokens_is_counted_apart():
    vec = _fitted(100_000)
    a = Document("送餐太慢了", ("送餐太慢了",), (("送餐", "太慢"),))
    b = Document("送餐太慢了", ("送餐太慢了",), (("送餐", "太慢", "!"),))
    both = vec.transform([a, b]).toarray()
    assert np.allclose(both, _fitted(0).transform([a, b]).toarray())
    assert not np.allclose(both[0], both[1])


def test_features_transform_clauses_matches_each_clause_alone():
    docs = Segmenter().transform(TEXTS)
    alone = [Document(text, (text,), (tokens,)) for d in docs for text, tokens in zip(d.clauses, d.clause_tokens)]
    for cache_size in (0, 100_000):
        vec = _fitted(cache_size)
        got = vec.transform_clauses(docs)
        assert got.shape[0] == sum(len(d.clauses) for d in docs)
        assert np.allclose(got.toarray(), vec.transform(alone).toarray())


def test_features_count_matches_countvectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    docs = Segmenter().transform(TEXTS)
    vec = _fitted(0)
    ours = count_ngrams(docs, _word_analyzer, vec.words_.vocabulary_)
    theirs = CountVectorizer.transform(vec.words_, docs)
    assert ours.shape == theirs.shape
    assert (ours != theirs).nnz == 0


def test_features_shared_clause_counts_give_each_vectorizer_its_own_matrix():
    from textmine.features import share_clause_counts

    docs = Segmenter().transform(TEXTS + ["饭都凉了，味道不错", "客服态度很好，但是送餐太慢"])
    fits = [TEXTS, TEXTS[:3] + ["客服态度很好"], ["送餐很快，饭很好吃", "包装不错"]]
    make = [lambda: DocumentVectorizer(), lambda: DocumentVectorizer(use_chars=False), lambda: DocumentVectorizer(min_df=1)]
    alone = [mk().fit(Segmenter().transform(f)) for mk, f in zip(make, fits)]
    shared = [mk().fit(Segmenter().transform(f)) for mk, f in zip(make, fits)]
    share_clause_counts(shared)
    assert shared[0]._clause_counts is shared[2]._clause_counts
    for one, other in zip(alone, shared):
        for part in (docs[:4], docs):  # the second call finds some clauses cached
            expected = one.transform(part).toarray()
            got = other.transform(part).toarray()
            assert got.shape == expected.shape
            assert np.allclose(got, expected)
        assert np.allclose(other.transform_clauses(docs).toarray(), one.transform_clauses(docs).toarray())
