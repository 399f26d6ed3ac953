from textmine.evaluate import label_metrics


def test_evaluate_perfect_prediction():
    gold = [{"food": -1}, {"logistics": 1, "food": 1}]
    m = label_metrics(gold, gold)
    assert m["micro_f1"] == m["macro_f1"] == m["category_polarity_f1"] == 1.0


def test_evaluate_counts_category_and_polarity_separately():
    gold = [{"food": -1}, {"logistics": 1}]
    pred = [{"food": 1}, {"logistics": 1, "service": -1}]
    m = label_metrics(gold, pred)
    # categories: tp=2 fp=1 fn=0 -> P=2/3 R=1 F=0.8
    assert m["micro_f1"] == 0.8
    # triples: tp=1 (logistics:1), fp=2, fn=1 -> P=1/3 R=1/2 F=0.4
    assert m["category_polarity_f1"] == 0.4
    assert m["per_category"]["service"]["precision"] == 0.0
    assert m["per_category"]["food"]["support"] == 1


def test_evaluate_complaints_read_as_praise_counts_found_pairs_only():
    gold = [{"food": -1, "logistics": -1}, {"service": -1}, {"price": 1}, {"food": -1}]
    # food -1 read as 1; logistics missed (not counted); service right; price 1 read as -1; food -1 read as 0
    pred = [{"food": 1}, {"service": -1}, {"price": -1}, {"food": 0}]
    m = label_metrics(gold, pred)
    assert m["complaints_as_praise"] == round(1 / 3, 4)
    assert m["praise_as_complaints"] == 1.0


class _Fixed:
    """A stand-in model: knows ``categories`` and predicts ``guesses`` in turn."""

    def __init__(self, categories, guesses):
        self.categories = categories
        self.guesses = guesses

    def analyze(self, texts):
        from textmine.bundle import Result

        return [Result(str(t), dict(g)) for t, g in zip(texts, self.guesses)]


def test_evaluate_compare_scores_only_the_shared_categories():
    from textmine.evaluate import compare_models

    gold = [{"food": -1}, {"logistics": 1}, {"车况": -1}]
    old = _Fixed(["food", "logistics"], [{"food": -1}, {"food": 1}, {"logistics": 0}])
    new = _Fixed(["food", "车况"], [{"food": -1}, {"车况": 1}, {"车况": -1}])
    result = compare_models(old, new, ["a", "b", "c"], gold)
    assert (result["shared"], result["only_old"], result["only_new"]) == (["food"], ["logistics"], ["车况"])
    assert [row["category"] for row in result["per_category"]] == ["food"]
    # food alone: the old model also says food for comment 2 (P 0.5, R 1); logistics and 车况 are not counted
    assert result["old"]["micro_f1"] == 0.6667 and set(result["old"]["per_category"]) == {"food"}
    assert result["new"]["micro_f1"] == 1.0 and result["verdict"] == "better"
    assert len(result["warnings"]) == 1 and "logistics" in result["warnings"][0] and "车况" in result["warnings"][0]


def test_evaluate_compare_disjoint_taxonomies_not_comparable():
    from textmine.evaluate import compare_models

    old = _Fixed(["food"], [{"food": -1}])
    new = _Fixed(["车况"], [{"车况": -1}])
    result = compare_models(old, new, ["a"], [{"车况": -1}])
    assert result["shared"] == [] and result["per_category"] == []
    assert result["verdict"] == "not comparable" and "share no category" in result["warnings"][0]


def test_evaluate_compare_same_categories_no_warning():
    from textmine.evaluate import compare_models

    old = _Fixed(["food", "price"], [{"food": -1}, {"price": 1}])
    result = compare_models(old, old, ["a", "b"], [{"food": -1}, {"price": -1}])
    assert result["warnings"] == [] and result["verdict"] == "same" and result["shared"] == ["food", "price"]
