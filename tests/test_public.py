import hashlib

import pytest

from conftest import write_csv
from textmine.errors import InputError
from textmine.public import benchmark_records, is_test_record, read_public_reviews


def test_public_test_fifth_follows_the_md5_rule():
    for record in range(1, 200):
        want = int(hashlib.md5(f"waimai_10k.csv:{record}".encode()).hexdigest(), 16) % 5 == 0
        assert is_test_record("waimai_10k.csv", record) == want
    share = sum(is_test_record("online_shopping_9_cats.csv", r) for r in range(1, 5001)) / 5000
    assert 0.17 < share < 0.23


def test_public_train_part_leaves_out_test_fifth_and_benchmark_rows(tmp_path, public_sets):
    folder = public_sets
    labels = write_csv(tmp_path / "dev.csv", ["file", "record", "labels"],
                       [("waimai_10k.csv", r, "food:1") for r in range(1, 6)])
    train = read_public_reviews(folder, exclude=benchmark_records([labels]))
    test = read_public_reviews(folder, part="test")
    pairs = set(zip(train.files, train.records))
    assert not pairs & set(zip(test.files, test.records))
    assert all(not is_test_record(f, r) for f, r in pairs)
    assert all(is_test_record(f, r) for f, r in zip(test.files, test.records))
    assert not any(("waimai_10k.csv", r) in pairs for r in range(1, 6))
    assert len(train) + len(test) + train.sources["waimai_10k.csv"]["excluded"] == 40 + 30  # the empty review is skipped
    assert all(t.endswith(str(r)) and lab == r % 2 for t, r, lab in zip(train.texts, train.records, train.labels))
    assert train.sources["waimai_10k.csv"]["sha256"] == hashlib.sha256((folder / "waimai_10k.csv").read_bytes()).hexdigest()


def test_public_bad_label_names_file_and_row(tmp_path):
    write_csv(tmp_path / "waimai_10k.csv", ["label", "review"], [(1, "好"), ("x", "坏")])
    write_csv(tmp_path / "online_shopping_9_cats.csv", ["cat", "label", "review"], [])
    with pytest.raises(InputError, match=r"waimai_10k.csv, row 3: label 'x'"):
        read_public_reviews(tmp_path, part="train" if not is_test_record("waimai_10k.csv", 2) else "test")


def test_public_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="waimai_10k.csv not found"):
        read_public_reviews(tmp_path)
