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


def test_features_refit_after_transform_uses_the_new_vocabulary():
    vec = _fitted(100_000)
    vec.transform(Segmenter().transform(TEXTS))  # fills the clause cache
    other = ["客服态度很好，但是送餐太慢", "饭都凉了"]
    refit = vec.fit_transform(Segmenter().transform(other))
    fresh = DocumentVectorizer().fit(Segmenter().transform(other))
    assert refit.shape == (2, len(fresh.words_.vocabulary_) + len(fresh.chars_.vocabulary_))
    assert np.allclose(vec.transform(Segmenter().transform(TEXTS)).toarray(),
                       fresh.transform(Segmenter().transform(TEXTS)).toarray())

def test_features_clause_counts_index_is_reused_only_when_it_fits(tiny_model):
    from textmine.features import ClauseCounts

    members = [tiny_model.classifier.vectorizer_, tiny_model.sentiment.vectorizer_]
    built = ClauseCounts(members, 100)
    index = built.index()
    reused = ClauseCounts(members, 100, index=index)
    assert reused.kinds[0][1] is index["unions"][0] and reused._codes()[0] is index["char_codes"][0]
    stale = dict(index, widths=[[1, 1], [1, 1]])
    rebuilt = ClauseCounts(members, 100, index=stale)
    assert rebuilt.kinds[0][1] is not index["unions"][0] and rebuilt.kinds[0][1] == index["unions"][0]
    assert np.array_equal(rebuilt._codes()[0], index["char_codes"][0])


def test_features_char_gram_ids_count_like_the_analyzer():
    import random

    from textmine.features import (_char_analyzer, _count_matrix, _vocabulary_indices, char_gram_codes,
                                   char_gram_ids)
    from textmine.segment import Document

    rng = random.Random(0)
    alphabet = "送餐太慢了饭凉好吃ab1 😀\ud800"  # normalised text holds no U+0000
    texts = ["", "a", "送餐", "太慢了😀"] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
                                          for _ in range(300)]
    grams = {g for t in texts[:150] for g in _char_analyzer(Document(t, (t,), ((),)))}
    vocabulary = {g: i for i, g in enumerate(sorted(grams | {"好吃吗", "x\x00"}))}
    docs = [Document(t, (t,), ((),)) for t in texts]
    expected = _count_matrix(*_vocabulary_indices(docs, _char_analyzer, vocabulary), len(vocabulary))
    got = _count_matrix(*char_gram_ids(texts, *char_gram_codes(vocabulary)), len(vocabulary))
    assert expected.nnz > 100 and (got != expected).nnz == 0
