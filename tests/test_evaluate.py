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
