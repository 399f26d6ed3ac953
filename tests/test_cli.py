import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from textmine.cli import ExitStatus, main

from conftest import SMALL_TAXONOMY, TINY_CORPUS, write_csv


def test_cli_train_evaluate_classify_end_to_end(tiny_corpus_path, tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert main(["train", str(tiny_corpus_path), "-o", str(model), "--sentiment-data", "none", "--holdout", "0",
                 "--sentiment-c", "2"]) == 0
    assert model.exists() and (tmp_path / "m.npz.json").exists()
    manifest = json.loads((tmp_path / "m.npz.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["sentiment_C"] == 2.0

    assert main(["evaluate", str(tiny_corpus_path), "--model", str(model), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n"] == 24 and metrics["micro_f1"] > 0.8

    dump = write_csv(tmp_path / "dump.csv", ["id", "comment", "shop"],
                     [(1, "送餐太慢了", "a"), (2, "", "b"), (3, "客服态度差", "c")])
    out = tmp_path / "out.csv"
    assert main(["classify", str(dump), "-o", str(out), "--model", str(model), "--quiet"]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame["id"]) == ["1", "2", "3"] and list(frame["shop"]) == ["a", "b", "c"]
    assert frame.loc[0, "categories"].startswith("logistics:")
    assert frame.loc[1, "error"] == "empty text"
    assert 0 <= float(frame.loc[2, "sentiment"]) <= 1


def test_cli_train_long_format_with_chinese_topics(tmp_path):
    rows = []
    for i, (text, topic, pol) in enumerate([
        ("动力很强劲，加速快", "动力", 1), ("油耗太高了", "油耗", -1), ("价格便宜", "价格", 1),
        ("动力不足，超车费劲", "动力", -1), ("油耗很低，省油", "油耗", 1), ("价格太贵", "价格", -1),
    ] * 3):
        rows.append((f"id{i}", f"{text}，开了{i + 1}年", topic, pol))
    rows.append(("id0", "动力很强劲，加速快，开了1年", "价格", 0))  # a second topic for the first comment
    corpus = write_csv(tmp_path / "car.csv", ["content_id", "content", "subject", "sentiment_value"], rows)
    model = tmp_path / "car.model"
    code = main(["train", str(corpus), "-o", str(model), "--text-col", "content", "--id-col", "content_id",
                 "--label-col", "subject", "--polarity-col", "sentiment_value", "--sentiment-data", "none",
                 "--holdout", "0", "--force"])
    assert code == 0
    manifest = json.loads((tmp_path / "car.model.json").read_text(encoding="utf-8"))
    assert manifest["categories"] == sorted(["动力", "油耗", "价格"])


def test_cli_missing_text_column_is_one_line_error(tiny_model_path, tmp_path, capsys):
    dump = write_csv(tmp_path / "bad.csv", ["id", "foo"], [(1, "x")])
    code = main(["classify", str(dump), "--model", str(tiny_model_path), "--quiet"])
    err = capsys.readouterr().err
    assert code == ExitStatus.ERROR
    assert "bad.csv" in err and "'foo'" in err and "--text-col" in err
    assert "Traceback" not in err


def test_cli_missing_model_manifest_is_reported(tmp_path, capsys, tiny_corpus_path):
    fake = tmp_path / "x.npz"
    fake.write_bytes(b"not a model")
    assert main(["classify", str(tiny_corpus_path), "--model", str(fake)]) == ExitStatus.ERROR
    assert "manifest" in capsys.readouterr().err


def test_cli_usage_error_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["classify"])
    assert exc.value.code == ExitStatus.USAGE


def test_cli_sentiment_c_must_be_auto_or_positive(tiny_corpus_path, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", str(tiny_corpus_path), "-o", str(tmp_path / "m.npz"), "--sentiment-c", "0"])
    assert exc.value.code == ExitStatus.USAGE
    assert "'0' is not 'auto' or a positive number" in capsys.readouterr().err


def test_cli_compare_and_suggest(tiny_model_path, tiny_corpus_path, tmp_path, capsys):
    assert main(["compare", str(tiny_model_path), str(tiny_model_path), "--data", str(tiny_corpus_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "same"
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(tiny_corpus_path), "-n", "5", "-o", str(out), "--model", str(tiny_model_path)]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(frame) == 5 and list(frame.columns) == ["row", "text", "labels", "uncertainty"]
    assert set(frame["row"].astype(int)) <= set(range(2, 26))


def test_cli_train_promote_if_better_keeps_a_worse_model_aside(tiny_corpus_path, tmp_path, capsys, monkeypatch):
    import textmine.training

    active = tmp_path / "active.npz"
    train = ["train", str(tiny_corpus_path), "-o", str(active), "--sentiment-data", "none"]
    assert main(train + ["--holdout", "0"]) == 0
    before = active.read_bytes()
    judge = textmine.training.promote_if_better

    def worse(new, active_path):  # the library's verdict, turned to "worse" (verdicts: see test_active)
        return {**judge(new, active_path), "verdict": "worse", "reasons": ["micro-F1 fell"], "promoted": False}

    monkeypatch.setattr(textmine.training, "promote_if_better", worse)
    assert main(train + ["--holdout", "0.25", "--promote-if-better"]) == 0
    assert "on the held-out comments: worse (micro-F1 fell)" in capsys.readouterr().err
    assert active.read_bytes() == before
    settings = json.loads((tmp_path / "active.candidate.npz.json").read_text(encoding="utf-8"))["settings"]
    assert (tmp_path / "active.candidate.npz").exists() and settings["holdout"] == 0.25
    assert json.loads((tmp_path / "active.npz.json").read_text(encoding="utf-8"))["settings"]["holdout"] == 0


def test_cli_train_promote_if_better_replaces_a_worse_active_model(tiny_corpus_path, tmp_path, capsys):
    active = tmp_path / "active.npz"
    wrong = write_csv(tmp_path / "wrong.csv", ["text", "labels"],
                      [(text, "food:-1" if i % 2 else "other:1") for i, (text, _) in enumerate(TINY_CORPUS)])
    assert main(["train", str(wrong), "-o", str(active), "--sentiment-data", "none", "--holdout", "0"]) == 0
    before = active.read_bytes()
    assert main(["train", str(tiny_corpus_path), "-o", str(active), "--sentiment-data", "none",
                 "--holdout", "0.25", "--promote-if-better"]) == 0
    assert "on the held-out comments: better" in capsys.readouterr().err
    assert active.read_bytes() != before
    assert not (tmp_path / "active.candidate.npz").exists()


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("textmine: error: ")
    return err


def test_cli_single_category_corpus_is_one_line_error(tmp_path, capsys):
    from textmine.errors import InputError

    corpus = write_csv(tmp_path / "one.csv", ["text", "labels"],
                       [(f"送餐太慢了，等了{i + 1}个小时", "logistics:-1") for i in range(12)])
    args = ["train", str(corpus), "-o", str(tmp_path / "m.npz"), "--sentiment-data", "none", "--holdout", "0", "--quiet"]
    assert main(args) == ExitStatus.ERROR
    err = _one_line_error(capsys)
    assert "one.csv" in err and "at least two categories" in err and "'logistics'" in err
    with pytest.raises(InputError):
        main(["--debug"] + args)


def test_cli_holdout_out_of_range_is_one_line_error(tiny_corpus_path, tmp_path, capsys):
    args = ["train", str(tiny_corpus_path), "-o", str(tmp_path / "m.npz"), "--sentiment-data", "none", "--quiet"]
    for value in ("-0.2", "1.5"):
        assert main(args + ["--holdout", value]) == ExitStatus.ERROR
        assert f"holdout={float(value)!r} is out of range" in _one_line_error(capsys)


def test_cli_unforeseen_failure_is_one_line_with_its_type(tiny_corpus_path, tmp_path, capsys, monkeypatch):
    import textmine.training

    def broken(*args, **kwargs):
        raise RuntimeError("something\nunforeseen")

    monkeypatch.setattr(textmine.training, "read_labelled", broken)
    args = ["evaluate", str(tiny_corpus_path)]
    assert main(args) == ExitStatus.ERROR
    assert "RuntimeError: something unforeseen (--debug" in _one_line_error(capsys)
    with pytest.raises(RuntimeError):
        main(["--debug"] + args)


def test_cli_suggest_quiet_prints_nothing(tiny_model_path, tiny_corpus_path, tmp_path, capsys):
    out = tmp_path / "to_label.csv"
    assert main(["suggest", str(tiny_corpus_path), "-n", "4", "-o", str(out), "--model", str(tiny_model_path),
                 "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == captured.out == ""
    assert len(pd.read_csv(out, dtype=str, keep_default_na=False)) == 4


def test_cli_segment_with_user_dictionary_and_stopwords(tmp_path, capsys):
    dump = write_csv(tmp_path / "d.csv", ["id", "comment"], [(1, "这个蓝莓冰沙杯太甜了"), (2, ""), (3, "送餐太慢了")])
    (tmp_path / "dict.txt").write_text("蓝莓冰沙杯\n", encoding="utf-8")
    (tmp_path / "stop.txt").write_text("送餐\n", encoding="utf-8")
    assert main(["segment", str(dump), "--user-dict", str(tmp_path / "dict.txt"),
                 "--stopwords", str(tmp_path / "stop.txt"), "--quiet", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["rows"] == 3 and stats["errors"] == 1 and stats["output"] == str(tmp_path / "d.segmented.csv")
    frame = pd.read_csv(tmp_path / "d.segmented.csv", dtype=str, keep_default_na=False)
    assert list(frame["id"]) == ["1", "2", "3"] and list(frame["error"]) == ["", "empty text", ""]
    assert "蓝莓冰沙杯" in frame.loc[0, "tokens"].split() and "送餐" not in frame.loc[2, "tokens"].split()
    assert frame.loc[2, "tokens"] and frame.loc[2, "clauses"] == "送餐太慢了"


def test_cli_default_output_names(tiny_model_path, tmp_path, capsys):
    dump = write_csv(tmp_path / "s.csv", ["id", "review"], [(1, "送餐太慢了"), (2, "客服态度差")])
    assert main(["classify", str(dump), "--model", str(tiny_model_path), "--quiet", "--jobs", "1"]) == 0
    assert main(["segment", str(dump), "--quiet"]) == 0
    classified = pd.read_csv(tmp_path / "s.classified.csv", dtype=str, keep_default_na=False)
    segmented = pd.read_csv(tmp_path / "s.segmented.csv", dtype=str, keep_default_na=False)
    assert list(classified["id"]) == list(segmented["id"]) == ["1", "2"]
    assert classified.loc[0, "categories"].startswith("logistics:") and segmented.loc[1, "tokens"]


@pytest.mark.parametrize("case", ["output_is_input", "duplicated_text_column", "missing_sheet", "broken_workbook"])
def test_cli_user_errors_are_one_line_naming_the_file(tiny_model_path, tmp_path, capsys, case):
    dump = write_csv(tmp_path / "d.csv", ["id", "review"], [(1, "好吃")])
    args = ["classify", str(dump), "--model", str(tiny_model_path), "--quiet", "--jobs", "1"]
    if case == "output_is_input":
        args += ["-o", str(dump)]
        expected = f"{dump}: the output is the input file"
    elif case == "duplicated_text_column":
        dump.write_text("id,review,review\n1,好吃,太慢\n", encoding="utf-8")
        expected = f"{dump}: the text column 'review' appears 2 times"
    elif case == "broken_workbook":
        dump = tmp_path / "d.xlsx"
        dump.write_bytes(b"PK\x03\x04 not really a workbook")
        args[1] = str(dump)
        expected = f"{dump}: cannot read as xlsx: "
    else:
        dump = tmp_path / "d.xlsx"
        pd.DataFrame({"review": ["好吃"]}).to_excel(dump, sheet_name="一月", index=False)
        args = ["classify", str(dump), "--model", str(tiny_model_path), "--quiet", "--sheet", "二月"]
        expected = f"{dump}: no sheet '二月' (sheets: '一月')"
    before = dump.read_bytes()
    assert main(args) == ExitStatus.ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"textmine: error: {expected}") and err.count("\n") == 1
    assert dump.read_bytes() == before


def test_cli_sheet_option_warns_about_the_other_sheets(tiny_model_path, tmp_path, capsys):
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"review": ["送餐太慢了"]}).to_excel(writer, sheet_name="a", index=False)
        pd.DataFrame({"review": ["客服态度差", "好吃"]}).to_excel(writer, sheet_name="b", index=False)
    out = tmp_path / "o.csv"
    assert main(["classify", str(book), "-o", str(out), "--model", str(tiny_model_path), "--quiet", "--jobs", "1"]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame["sheet"]) == ["a", "b", "b"] and list(frame["review"]) == ["送餐太慢了", "客服态度差", "好吃"]
    assert main(["classify", str(book), "-o", str(out), "--model", str(tiny_model_path), "--quiet", "--sheet", "b",
                 "--jobs", "1"]) == 0
    assert f"textmine: warning: {book}: reading only sheet 'b'; not read: 'a'\n" in capsys.readouterr().err
    assert list(pd.read_csv(out, dtype=str)["review"]) == ["客服态度差", "好吃"]


def test_cli_formula_guard(tiny_model_path, tmp_path):
    dump = write_csv(tmp_path / "d.csv", ["id", "review"], [(1, "=1+1 送餐太慢了"), (2, "客服态度差")])
    out = tmp_path / "o.csv"
    assert main(["classify", str(dump), "-o", str(out), "--model", str(tiny_model_path), "--quiet", "--jobs", "1",
                 "--formula-guard"]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame["review"]) == ["'=1+1 送餐太慢了", "客服态度差"] and len(frame) == 2


@pytest.fixture(scope="module")
def car_model_path(tmp_path_factory):
    """A model of a taxonomy of its own (车况 计费 应用 客服), sharing no category with the tiny one."""
    from textmine.training import read_labelled, train

    path = tmp_path_factory.mktemp("car") / "car.npz"
    train(read_labelled(SMALL_TAXONOMY), sentiment_data=None, holdout=0).save(path)
    return path


def test_cli_compare_disjoint_taxonomies_warns_and_exits_0(tiny_model_path, car_model_path, capsys):
    code = main(["compare", str(tiny_model_path), str(car_model_path), "--data", str(SMALL_TAXONOMY), "--json"])
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert code == ExitStatus.SUCCESS
    assert result["shared"] == [] and result["per_category"] == [] and result["verdict"] == "not comparable"
    assert "warning: the two models share no category" in captured.err


def test_cli_model_path_default_names_the_shipped_model(monkeypatch, tiny_model, tiny_corpus_path, tmp_path, capsys):
    import textmine.bundle

    loaded = []
    monkeypatch.setattr(textmine.bundle, "_default_models", {})  # the stand-in must not stay cached as the shipped model
    monkeypatch.setattr(textmine.bundle.ModelBundle, "load", classmethod(lambda cls, path, **kw: loaded.append(path) or tiny_model))
    out = tmp_path / "out.csv"
    assert main(["classify", str(tiny_corpus_path), "-o", str(out), "--model", "default", "--quiet", "--jobs", "1"]) == 0
    assert main(["compare", "default", "default", "--data", str(tiny_corpus_path)]) == 0
    assert main(["evaluate", str(tiny_corpus_path), "--model", "default"]) == 0
    assert len(loaded) == 1 and Path(loaded[0]).name == "default.npz"  # loaded once, then shared


def test_cli_train_shows_categories_progress_and_both_counts(monkeypatch, tmp_path, capsys):
    import textmine.training

    monkeypatch.setattr(textmine.training, "default_corpus", lambda: textmine.training.read_labelled(SMALL_TAXONOMY))
    corpus = write_csv(tmp_path / "mine.csv", ["text", "labels"], TINY_CORPUS)
    model = tmp_path / "m.npz"
    assert main(["train", str(corpus), "-o", str(model), "--base", "default", "--sentiment-data", "none"]) == 0
    err = capsys.readouterr().err
    assert "trained on 24 of yours + 50 base comments, 8 categories" in err
    assert "segmenting 74 comments" in err and "held-out run: training on" in err
    assert any(line.split()[:5] == ["logistics", "4", "0", "4", "0"] for line in err.splitlines())


def test_cli_train_slips_refused_naming_force(tmp_path, capsys):
    args = ["train", str(SMALL_TAXONOMY), "-o", str(tmp_path / "m.npz"), "--label-col", "labels_with_slips",
            "--sentiment-data", "none", "--holdout", "0", "--quiet"]
    assert main(args) == ExitStatus.ERROR
    err = capsys.readouterr().err
    assert "3 of 50 rows have label problems" in err and "--force" in err and "row 30: suspect category" in err
    assert main(args + ["--force"]) == ExitStatus.SUCCESS
    manifest = json.loads((tmp_path / "m.npz.json").read_text(encoding="utf-8"))
    assert manifest["categories"] == ["客服", "应用", "计费", "车况"]
