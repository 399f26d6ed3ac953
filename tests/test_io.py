import json

import pandas as pd
import pytest

from textmine.errors import InputError
from textmine.io import TableWriter, detect_encoding, find_text_column, iter_tables, read_table

ROWS = [("1", "送餐太慢了，饭都凉了"), ("2", "房间干净，前台热情"), ("3", "客服答非所问")]


def _write_bytes(path, text, encoding):
    path.write_bytes(text.encode(encoding))
    return path


def _csv(rows, header=("id", "review")):
    return "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"


@pytest.mark.parametrize("encoding,expected", [("gbk", "gb18030"), ("utf-8-sig", "utf-8-sig"),
                                               ("utf-8", "utf-8-sig"), ("utf-16", "utf-16")])
def test_io_encodings_detected_and_every_row_read(tmp_path, encoding, expected):
    path = _write_bytes(tmp_path / "dump.csv", _csv(ROWS), encoding)
    assert detect_encoding(path) == expected
    frame = read_table(path)
    assert list(frame["review"]) == [t for _, t in ROWS]
    assert frame.attrs["rows"] == [2, 3, 4]


def test_io_excel_and_parquet_and_jsonl(tmp_path):
    frame = pd.DataFrame(ROWS, columns=["id", "review"])
    frame.to_excel(tmp_path / "d.xlsx", index=False)
    frame.to_parquet(tmp_path / "d.parquet", index=False)
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps({"id": i, "review": t}, ensure_ascii=False) for i, t in ROWS),
                                      encoding="utf-8")
    for name in ("d.xlsx", "d.parquet", "d.jsonl"):
        got = read_table(tmp_path / name)
        assert list(got["review"]) == [t for _, t in ROWS], name
        assert len(got.attrs["rows"]) == 3


def test_io_embedded_newlines_and_broken_quote_lose_no_row(tmp_path):
    text = ('id,review,shop\n'
            '1,"第一行\n第二行，还是同一条",a\n'
            '2,"引号没有闭合，后面全乱了,b\n'
            '3,正常的一条,c\n'
            '4,字段太多,d,extra\n')
    path = tmp_path / "messy.csv"
    path.write_text(text, encoding="utf-8")
    frame = read_table(path)
    errors = frame.attrs["read_errors"]
    assert frame.loc[0, "review"] == "第一行\n第二行，还是同一条" and errors[0] == ""
    assert len(frame) == 4  # one output row per input record: none dropped, none merged
    assert errors[1].startswith("malformed line") and "引号没有闭合" in frame.loc[1, "review"]
    assert frame.loc[2, "review"] == "正常的一条" and "broken quoting" in errors[1] + errors[2]
    assert errors[3].startswith("malformed line") and frame.loc[3, "shop"] == "d,extra"


def test_io_undecodable_bytes_flagged_not_dropped(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("id,review\n1,好吃\n".encode("utf-8") + b"2,\xff\xfe\xfa bad\n" + "3,太慢\n".encode("utf-8"))
    frame = read_table(path, encoding="utf-8")
    assert len(frame) == 3
    assert frame.attrs["read_errors"][1] == "undecodable bytes"
    assert "\ufffd" in frame.loc[1, "review"]


def test_io_malformed_json_line_kept_with_error(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"review": "好吃"}\n{not json\n["list"]\n{"review": "太慢"}\n', encoding="utf-8")
    frame = read_table(path)
    assert list(frame["review"]) == ["好吃", "", "", "太慢"]
    assert [bool(e) for e in frame.attrs["read_errors"]] == [False, True, True, False]


def test_io_wrong_delimiter_is_a_clear_error(tmp_path):
    path = tmp_path / "tabs.csv"
    path.write_text("id\treview\n1\t好吃\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"tabs.csv.*delimiter"):
        read_table(path)


def test_io_text_column_found_by_name_or_named_error():
    assert find_text_column(["id", "评论内容"]) == "评论内容"
    assert find_text_column(["ID", " Content "]) == " Content "
    with pytest.raises(InputError, match=r"'id', 'foo'"):
        find_text_column(["id", "foo"], path="x.csv")
    with pytest.raises(InputError, match="'body'"):
        find_text_column(["id", "foo"], "body")


def test_io_chunks_are_bounded(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(_csv([(str(i), f"评论{i}") for i in range(250)]), encoding="utf-8")
    sizes = [len(c) for c in iter_tables(path, chunksize=100)]
    assert sizes == [100, 100, 50]


def test_io_writer_is_atomic(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with TableWriter(target) as writer:
            writer.write(pd.DataFrame({"a": [1, 2]}))
            raise RuntimeError("interrupted")
    assert not target.exists()
    with TableWriter(target) as writer:
        writer.write(pd.DataFrame({"a": [1, 2]}))
        writer.write(pd.DataFrame({"a": [3]}))
    assert list(pd.read_csv(target)["a"]) == [1, 2, 3]
    assert not (tmp_path / "out.csv.partial").exists()


def test_io_too_many_fields_on_one_line(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("id,review,shop\n1,好吃,a\n2,太慢,b,extra\n", encoding="utf-8")
    frame = read_table(path)
    assert frame.attrs["read_errors"] == ["", "malformed line: 4 fields, expected 3"]
    assert frame.loc[1, "shop"] == "b,extra"


def test_io_no_empty_trailing_chunk_and_header_only_file(tmp_path):
    path = tmp_path / "even.csv"
    path.write_text(_csv([(str(i), f"评论{i}") for i in range(200)]), encoding="utf-8")
    assert [len(c) for c in iter_tables(path, chunksize=100)] == [100, 100]
    empty = tmp_path / "header.csv"
    empty.write_text("id,review\n", encoding="utf-8")
    chunks = list(iter_tables(empty))
    assert len(chunks) == 1 and len(chunks[0]) == 0 and list(chunks[0].columns) == ["id", "review"]
