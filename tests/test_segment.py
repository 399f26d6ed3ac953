import pytest

from textmine.segment import Document, Segmenter, tokenize


def test_segment_negation_stays_with_its_word():
    tokens = tokenize("这家的菜不好吃")
    assert "不好吃" in tokens
    assert "好吃" not in tokens


def test_segment_negation_reaches_over_degree_word():
    assert "不太新鲜" in tokenize("水果不太新鲜")


def test_segment_negation_can_be_turned_off():
    # 不热情 is in no dictionary: only the negation rule joins it
    assert Segmenter(negation=False).lcut("态度不热情") == ["态度", "不", "热情"]
    assert Segmenter().lcut("态度不热情") == ["态度", "不热情"]
    tokens = Segmenter(negation=False, use_project_dictionary=False).lcut("肉不新鲜")
    assert "不" in tokens and "新鲜" in tokens


def test_segment_project_dictionary_keeps_feedback_terms_whole():
    tokens = tokenize("客服答非所问，还漏送了一份")
    assert "答非所问" in tokens and "漏送" in tokens


def test_segment_user_dictionary_word_stays_whole():
    text = "椰云拿铁太甜"
    assert "椰云拿铁" not in Segmenter().lcut(text)
    assert "椰云拿铁" in Segmenter(user_dict=["椰云拿铁"]).lcut(text)


def test_segment_user_dictionary_file(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("椰云拿铁 100 n\n", encoding="utf-8")
    assert "椰云拿铁" in Segmenter(user_dict=path).lcut("椰云拿铁太甜")


def test_segment_stopwords_removed_but_negation_and_degree_words_kept():
    tokens = tokenize("我觉得这个菜非常咸，太难吃了")
    assert "的" not in tokens and "了" not in tokens and "我" not in tokens
    assert "非常" in tokens and "太" in tokens or "太难吃" in tokens


def test_segment_user_stopwords_list():
    assert "外卖" not in Segmenter(extra_stopwords=["外卖"]).lcut("外卖很好吃")


def test_segment_question_and_exclamation_marks_become_tokens():
    doc = Segmenter().document("油耗高吗？真的很差！！")
    assert doc.clause_tokens[0][-1] == "?" and doc.clause_tokens[1][-1] == "!"
    assert "?" not in doc.clauses[0]


def test_segment_clauses_split_at_punctuation_and_contrast_words():
    doc = Segmenter().document("东西很好吃但是送得太慢，不太新鲜")
    assert isinstance(doc, Document)
    assert len(doc.clauses) == 3
    assert doc.clauses[1].startswith("但是")
    assert len(doc.clause_tokens) == len(doc.clauses)


def test_segment_decimal_point_is_not_a_clause_break():
    doc = Segmenter().document("油耗6.8个，价格12.5元.下次还买")
    assert doc.clauses == ("油耗6.8个", "价格12.5元", "下次还买")
    assert "6.8" in doc.clause_tokens[0] and "12.5" in doc.clause_tokens[1]


def test_segment_space_inside_a_latin_name_is_not_a_clause_break():
    doc = Segmenter().document("iPhone 12 Pro 屏幕很好 电池不行")
    assert doc.clauses == ("iPhone 12 Pro", "屏幕很好", "电池不行")


def test_segment_traditional_input_is_simplified_first():
    tokens = tokenize("服務態度很差")
    assert "服务态度" in tokens and "服務態度" not in tokens


def test_segment_masks_personal_data():
    tokens = tokenize("打13812345678没人接")
    assert "phone" in tokens and not any("1381" in t for t in tokens)


@pytest.mark.parametrize("value", [None, float("nan"), 12345.0, "", "   ", "。。。！！", "\x00\ud800"])
def test_segment_bad_input_gives_defined_result(value):
    assert tokenize(value) == []  # numbers count as empty, like None and NaN
    doc = Segmenter().document(value)
    assert doc.clauses == () and doc.clause_tokens == ()


def test_segment_numbers_and_punctuation_only_give_no_tokens():
    assert tokenize(None) == [] and tokenize("。。。！！") == [] and tokenize("") == []


def test_segment_very_long_comment():
    text = "送餐太慢了，饭都凉了。" * 10_000  # about 110 KB
    tokens = tokenize(text)
    assert tokens.count("送餐") == 10_000


def test_segment_transform_keeps_length_and_order():
    out = Segmenter().transform(["好吃", None, "太慢"])
    assert [d.text for d in out] == ["好吃", "", "太慢"]


def test_segment_pickles_without_its_tokenizer():
    import pickle

    seg = Segmenter(user_dict=["小蓝杯"])
    seg.lcut("小蓝杯")
    clone = pickle.loads(pickle.dumps(seg))
    assert clone.lcut("小蓝杯咖啡") == seg.lcut("小蓝杯咖啡")


def test_segment_tokenizer_cache_can_be_cleared():
    from textmine.segment import _tokenizers, clear_tokenizer_cache

    Segmenter(user_dict=["椰云拿铁"]).lcut("椰云拿铁")
    assert _tokenizers
    clear_tokenizer_cache()
    assert not _tokenizers
    assert "椰云拿铁" in Segmenter(user_dict=["椰云拿铁"]).lcut("椰云拿铁太甜")


def test_segment_hmm_guesses_unknown_words_only_when_asked():
    text = "他来到了网易杭研大厦"
    assert "杭研" in Segmenter().lcut(text)
    assert "杭研" not in Segmenter(hmm=False).lcut(text)


def test_segment_old_pickles_keep_the_hmm():
    seg = Segmenter(hmm=False)
    state = seg.__getstate__()
    del state["hmm"]  # as saved before the option existed
    old = Segmenter.__new__(Segmenter)
    old.__setstate__(state)
    assert old.hmm is True


def test_segment_cut_with_remembered_hmm_runs_equals_jieba():
    from textmine.segment import _jieba_cut

    tokenizer = Segmenter(backend="jieba")._state().tokenizer
    texts = ["小哥送餐贼快，饭菜还热乎乎的", "这家店的酸辣粉嗦起来巴适得很", "买了iPhone13，充电器x2个 3.5%的折扣",
             "hello world\r\n再来一单", "abc-def_#&+ 好评", "😀好吃😀", "客服小姐姐耐心解答了我的疑问", "  ", "",
             "嗡嗡嗡嗡的响", "让我等等等等", "又双叒叕闪退了", "潮汕牛肉粿条汤很清甜"]  # ties between equally likely paths
    runs: dict = {}
    for _ in range(2):  # the second pass reads the HMM's cuts from runs
        for text in texts:
            assert _jieba_cut(tokenizer, text, runs) == tokenizer.lcut(text)
    assert runs  # some runs went through the HMM and were kept


def test_segment_hmm_cut_equals_jieba_finalseg():
    import random

    import jieba.finalseg

    from textmine.segment import _hmm_cut

    rng = random.Random(0)
    # common characters, characters the HMM has never seen (equal scores), letters and digits
    chars = "的一是了我不人在有这个上来到时大地为中说生就那和要出得也天送餐好吃慢嗡叒叕粿鿐鿔ab12.%"
    runs = ["".join(rng.choice(chars) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    for run in runs + ["小哥贼快", "巴适得很", "叒叕叒叕", "x"]:
        assert _hmm_cut(run) == tuple(jieba.finalseg.cut(run)), run


def test_segment_set_params_after_a_cut_takes_effect():
    seg = Segmenter()
    assert "送餐" in seg.lcut("送餐太慢了")
    seg.set_params(extra_stopwords=["送餐"])
    assert "送餐" not in seg.lcut("送餐太慢了")
    assert "送餐太慢" not in seg.lcut("送餐太慢了")
    seg.set_params(user_dict=["送餐太慢"])
    assert "送餐太慢" in seg.lcut("送餐太慢了")
    seg.set_params(negation=False, use_project_dictionary=False)
    assert Segmenter(negation=False, use_project_dictionary=False, user_dict=["送餐太慢"],
                     extra_stopwords=["送餐"]).lcut("肉不新鲜") == seg.lcut("肉不新鲜")
    assert seg.lcut("肉不新鲜") != Segmenter().lcut("肉不新鲜")


def test_segment_leaves_jieba_log_level_as_it_found_it():
    import logging

    from textmine.segment import clear_tokenizer_cache

    log = logging.getLogger("jieba")
    level = log.level
    try:
        log.setLevel(logging.INFO)
        clear_tokenizer_cache()
        assert Segmenter(backend="jieba").lcut("送餐太慢了")  # builds a jieba tokenizer
        assert log.level == logging.INFO
    finally:
        log.setLevel(level)
