import csv
import json

import pandas as pd
import pytest

from textmine.cli import ExitStatus, main

from conftest import write_csv


def test_cli_train_evaluate_classify_end_to_end(tiny_corpus_path, tmp_path, capsys):
    model = tmp_path / "m.joblib"
    assert main(["train", str(tiny_corpus_path), "-o", str(model), "--sentiment-data", "none", "--holdout", "0",
                 "--sentiment-c", "2"]) == 0
    assert model.exists() and (tmp_path / "m.joblib.json").exists()
    manifest = json.loads((tmp_path / "m.joblib.json").read_text(encoding="utf-8"))
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
    fake = tmp_path / "x.joblib"
    fake.write_bytes(b"not a model")
    assert main(["classify", str(tiny_corpus_path), "--model", str(fake)]) == ExitStatus.ERROR
    assert "manifest" in capsys.readouterr().err


def test_cli_usage_error_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["classify"])
    assert exc.value.code == ExitStatus.USAGE


def test_cli_sentiment_c_must_be_auto_or_positive(tiny_corpus_path, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", str(tiny_corpus_path), "-o", str(tmp_path / "m.joblib"), "--sentiment-c", "0"])
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


def test_cli_train_promote_if_better_keeps_a_worse_model_aside(tiny_corpus_path, tmp_path, capsys):
    active = tmp_path / "active.joblib"
    args = ["train", str(tiny_corpus_path), "-o", str(active), "--sentiment-data", "none", "--holdout", "0.25"]
    assert main(args) == 0
    before = active.read_bytes()
    assert main(args + ["--promote-if-better"]) == 0
    err = capsys.readouterr().err
    assert "verdict" not in err and "compared with" in err
    assert active.exists() and (active.read_bytes() != before or "same" in err or "better" in err)
