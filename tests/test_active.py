import json

from textmine.active import read_label_studio, suggest, write_label_studio
from textmine.evaluate import compare_models
from textmine.summarize import _shingles
from textmine.training import LabelledData, promote_if_better, train
from textmine.taxonomy import parse_labels

from conftest import TINY_CORPUS

POOL = ["送餐太慢了，等了一个小时还没到", "送餐太慢了，等了一个小时还没到啊", "送餐太慢了,等了一个小时还没到!!",
        "菜的味道一般，有点咸", "客服态度还可以吧，就是回复慢", "包装还行", "价格有点贵但是好吃",
        "骑手送错了地址", "还行吧", "挺好的", "房间隔音差", "", "物流一般般，东西还行"]


def test_active_suggest_has_no_near_duplicates(tiny_model):
    picks = suggest(tiny_model, POOL, n=10)
    texts = [p.text for p in picks]
    assert len(texts) == len(set(texts))
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            sa, sb = _shingles(a), _shingles(b)
            assert len(sa & sb) / len(sa | sb) < 0.7, (a, b)
    assert "" not in texts
    assert sum("送餐太慢了" in t for t in texts) == 1


def test_active_suggest_orders_by_uncertainty_within_limits(tiny_model):
    everyone = suggest(tiny_model, POOL, n=len(POOL), power=0)
    assert all(0 <= p.uncertainty <= 1 and p.guess for p in everyone)
    for seed in range(3):  # leaning hard to the uncertain: the first round comes most uncertain first
        picks = suggest(tiny_model, POOL, n=3, power=8, random_state=seed)
        uncertainty = [p.uncertainty for p in picks]
        assert len(picks) == 3 and uncertainty == sorted(uncertainty, reverse=True)
        assert uncertainty[0] == max(p.uncertainty for p in everyone)


def test_active_suggest_is_reproducible_and_leans_to_uncertain(tiny_model):
    pool = POOL + [f"{t}，第{k}次" for k, t in enumerate(POOL[3:], 2)]
    first = suggest(tiny_model, pool, n=6, random_state=1)
    assert [p.position for p in first] == [p.position for p in suggest(tiny_model, pool, n=6, random_state=1)]

    def mean_uncertainty(power):
        draws = [suggest(tiny_model, pool, n=4, power=power, random_state=seed) for seed in range(10)]
        return sum(p.uncertainty for d in draws for p in d) / sum(len(d) for d in draws)

    assert mean_uncertainty(8) > mean_uncertainty(0) + 0.02  # power 0: every comment as likely


def test_active_label_studio_round_trip(tiny_model, tmp_path):
    picks = suggest(tiny_model, POOL, n=4)
    path = write_label_studio(picks, tmp_path / "tasks.json")
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert len(tasks) == 4 and tasks[0]["predictions"][0]["result"][0]["from_name"] == "labels"
    for task in tasks:  # the annotator accepts the pre-annotation
        task["annotations"] = [{"result": task["predictions"][0]["result"]}]
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    rows = read_label_studio(path)
    assert [t for t, _ in rows] == [p.text for p in picks]
    assert [l for _, l in rows] == [p.guess for p in picks]


def _data(rows):
    return LabelledData([t for t, _ in rows], [parse_labels(l) for _, l in rows], list(range(2, 2 + len(rows))))


def test_active_compare_verdicts(tiny_model):
    texts = [t for t, _ in TINY_CORPUS]
    labels = [parse_labels(l) for _, l in TINY_CORPUS]
    same = compare_models(tiny_model, tiny_model, texts, labels)
    assert same["verdict"] == "same" and all(r["change"] == 0 for r in same["per_category"])
    # a model that only ever says "food" is worse
    weak = train(_data([(t, "food:-1" if i % 2 else "other:1") for i, (t, _) in enumerate(TINY_CORPUS)]),
                 sentiment_data=None, holdout=0)
    worse = compare_models(tiny_model, weak, texts, labels)
    assert worse["verdict"] == "worse" and worse["reasons"]
    better = compare_models(weak, tiny_model, texts, labels)
    assert better["verdict"] == "better"


def test_active_promote_only_when_not_worse(tiny_model_path):
    good = train(_data(TINY_CORPUS * 1), sentiment_data=None, holdout=0.25)
    assert promote_if_better(good, tiny_model_path)["promoted"]
    noisy = [(t, "other:-1") for t, _ in TINY_CORPUS[:12]] + [(t, "food:1") for t, _ in TINY_CORPUS[12:]]
    bad = train(_data(noisy), sentiment_data=None, holdout=0.25)
    bad.holdout_data = _data(TINY_CORPUS)  # judged on the true labels
    result = promote_if_better(bad, tiny_model_path)
    assert not result["promoted"] and result["candidate"].endswith("tiny.candidate.npz")


def test_active_loop_through_the_top_level_api(tiny_corpus_path):
    import textmine

    model = textmine.train(textmine.read_labelled(tiny_corpus_path), sentiment_data=None, holdout=0)
    picks = textmine.suggest(model, POOL, n=3)
    assert len(picks) == 3 and all(p.text in POOL for p in picks)
    labels = [parse_labels(p.guess) for p in picks]
    verdict = textmine.compare_models(model, model, [p.text for p in picks], labels)
    assert verdict["verdict"] == "same"


def test_active_suggest_csv_and_json_give_the_same_row_as_errors(tiny_model_path, tmp_path):
    import csv as _csv

    from conftest import write_csv
    from textmine.cli import main

    pool = write_csv(tmp_path / "pool.csv", ["text"], [(t,) for t in POOL])
    for out in ("picks.csv", "picks.json"):
        assert main(["suggest", str(pool), "-n", "3", "-o", str(tmp_path / out), "--model", str(tiny_model_path)]) == 0
    with open(tmp_path / "picks.csv", encoding="utf-8-sig", newline="") as f:
        from_csv = {r["text"]: int(r["row"]) for r in _csv.DictReader(f)}
    tasks = json.loads((tmp_path / "picks.json").read_text(encoding="utf-8"))
    from_json = {t["data"]["text"]: t["data"]["row"] for t in tasks}
    assert from_csv == from_json
    assert all(POOL[row - 2] == text for text, row in from_json.items())  # row 1 is the header
