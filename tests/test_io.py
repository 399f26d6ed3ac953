import json
import os

import pandas as pd
import pytest

from textmine.errors import BROKEN_QUOTING, INVALID_CHARACTERS, UNDECODABLE, InputError, InputWarning
from textmine.io import (EncodingGuess, TableWriter, detect_encoding, find_text_column, guess_encoding, iter_tables,
                         prefixed, read_table, write_table)

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
    assert frame.attrs["read_errors"][1] == UNDECODABLE
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


# Sentences written for these tests, enough of them for an encoding to show its character.
SENTENCES = ["送餐太慢了，饭都凉了，下次不会再点", "客服态度很好，耐心解答问题", "包装破损，汤洒了一半",
             "价格有点贵，但是味道不错", "骑手很准时，服务周到", "房间干净整洁，前台热情",
             "等了一个小时还没到，太失望了", "东西很新鲜，分量也足"] * 3


def test_io_jsonl_keys_first_seen_late_keep_every_column(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"review": "好吃"}\n{"review": "太慢", "x": "1"}\n{"x": "2", "review": "一般"}\n', encoding="utf-8")
    chunks = list(iter_tables(path, chunksize=1))
    assert [list(c.columns) for c in chunks] == [["review", "x"]] * 3
    frame = read_table(path)
    assert list(frame["review"]) == ["好吃", "太慢", "一般"] and list(frame["x"]) == ["", "1", "2"]


def test_io_jsonl_first_chunk_without_an_object_reads_the_rest(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('[1]\n{broken\n{"review": "好吃"}\n', encoding="utf-8")
    chunks = list(iter_tables(path, chunksize=2))
    assert [list(c.columns) for c in chunks] == [["review"], ["review"]]
    frame = read_table(path)
    assert list(frame["review"]) == ["", "", "好吃"] and frame.attrs["rows"] == [1, 2, 3]
    assert [bool(e) for e in frame.attrs["read_errors"]] == [True, True, False]


def test_io_jsonl_lone_surrogate_replaced_and_flagged(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"review": "好\\ud800吃"}\n{"review": "太慢"}\n', encoding="utf-8")
    frame = read_table(path)
    assert list(frame["review"]) == ["好\ufffd吃", "太慢"]
    assert frame.attrs["read_errors"] == [INVALID_CHARACTERS, ""]


def test_io_unterminated_quote_does_not_swallow_the_rest(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,review\n1,"没有闭合的引号\n2,第二条\n3,第三条\n', encoding="utf-8")
    frame = read_table(path)
    assert len(frame) == 3 and frame.attrs["rows"] == [2, 3, 4]
    assert list(frame["id"]) == ["1", "2", "3"]
    assert list(frame["review"]) == ['"没有闭合的引号', "第二条", "第三条"]
    assert frame.attrs["read_errors"] == [BROKEN_QUOTING, "", ""]


def test_io_tsv_field_starting_with_a_quote_keeps_the_next_line(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text('id\treview\n1\t"引号开头的评论\n2\t下一条\n3\t"正常引用"\n', encoding="utf-8")
    frame = read_table(path)
    assert len(frame) == 3 and list(frame["id"]) == ["1", "2", "3"]
    assert list(frame["review"]) == ['"引号开头的评论', "下一条", "正常引用"]
    assert frame.attrs["read_errors"] == [BROKEN_QUOTING, "", ""]


def test_io_quoted_line_breaks_still_one_record(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,review\n1,"第一行\r\n第二行"\n2,"a\rb"\n', encoding="utf-8")
    frame = read_table(path)
    assert list(frame["review"]) == ["第一行\r\n第二行", "a\rb"] and frame.attrs["read_errors"] == ["", ""]


def test_io_every_sheet_read_with_its_name(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"review": ["好吃", "太慢"]}).to_excel(book, sheet_name="一月", index=False)
        pd.DataFrame({"review": ["一般"], "shop": ["a"]}).to_excel(book, sheet_name="二月", index=False)
    frame = read_table(path)
    assert len(frame) == 3 and list(frame.columns) == ["sheet", "review", "shop"]
    assert list(frame["sheet"]) == ["一月", "一月", "二月"] and list(frame["review"]) == ["好吃", "太慢", "一般"]
    assert list(frame["shop"]) == ["", "", "a"] and frame.attrs["rows"] == [2, 3, 2]
    with pytest.warns(InputWarning, match="not read: '一月'"):
        only = read_table(path, sheet="二月")
    assert list(only.columns) == ["review", "shop"] and list(only["review"]) == ["一般"]
    with pytest.raises(InputError, match="no sheet '三月'.*'一月', '二月'"):
        read_table(path, sheet="三月")


def test_io_sheet_column_prefixed_when_the_input_has_one(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as book:
        for name in ("a", "b"):
            pd.DataFrame({"sheet": [f"mine-{name}"], "review": ["好吃"]}).to_excel(book, sheet_name=name, index=False)
    frame = read_table(path)
    assert list(frame.columns) == ["textmine_sheet", "sheet", "review"]
    assert list(frame["sheet"]) == ["mine-a", "mine-b"] and list(frame["textmine_sheet"]) == ["a", "b"]


def test_io_xlsx_text_is_never_a_formula(tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "out.xlsx"
    formula = '=HYPERLINK("http://example.invalid","点我")'
    write_table(pd.DataFrame({"review": [formula, "好吃"], "n": [1.5, 2.0]}), target)
    sheet = load_workbook(target).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == formula
    assert sheet["A3"].value == "好吃" and sheet["B2"].value == 1.5
    assert list(read_table(target)["review"]) == [formula, "好吃"]


def test_io_xlsx_control_characters_and_surrogates_made_writable(tmp_path):
    target = tmp_path / "out.xlsx"
    with TableWriter(target) as writer:
        writer.write(pd.DataFrame({"review": ["好\x01吃\x1f", "太慢", "坏\ud800"]}, dtype=object))
    assert writer.replaced == 2
    assert list(read_table(target)["review"]) == ["好\ufffd吃\ufffd", "太慢", "坏\ufffd"]


@pytest.mark.parametrize("name", ["out.csv", "out.tsv", "out.jsonl", "out.parquet"])
def test_io_lone_surrogate_written_in_every_format(tmp_path, name):
    target = tmp_path / name
    write_table(pd.DataFrame({"review": ["好\udc80吃", "太慢"]}, dtype=object), target)
    assert list(read_table(target)["review"]) == ["好\ufffd吃", "太慢"]


def test_io_formula_guard_only_when_asked(tmp_path):
    frame = pd.DataFrame({"review": ["=1+1", "+86", "-", "@x", "好吃"], "n": [1, 2, 3, 4, 5]})
    write_table(frame, tmp_path / "plain.csv")
    write_table(frame, tmp_path / "guarded.csv", formula_guard=True)
    assert list(read_table(tmp_path / "plain.csv")["review"]) == ["=1+1", "+86", "-", "@x", "好吃"]
    assert list(read_table(tmp_path / "guarded.csv")["review"]) == ["'=1+1", "'+86", "'-", "'@x", "好吃"]


def test_io_bare_cr_in_a_text_is_quoted(tmp_path):
    target = tmp_path / "out.csv"
    write_table(pd.DataFrame({"review": ["第一\r第二", "好吃"], "id": ["1", "2"]}), target)
    assert b'"\xe7\xac\xac\xe4\xb8\x80\r\xe7\xac\xac\xe4\xba\x8c"' in target.read_bytes()
    back = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert len(back) == 2 and list(back["review"]) == ["第一\r第二", "好吃"] and list(back["id"]) == ["1", "2"]


def test_io_xlsx_row_limit_refused_at_the_row(tmp_path, monkeypatch):
    import textmine.io as tio

    monkeypatch.setattr(tio, "XLSX_MAX_ROWS", 4)
    target = tmp_path / "out.xlsx"
    with pytest.raises(InputError, match=r"out.xlsx: 4 rows do not fit in an .xlsx sheet \(at most 3\)"):
        with TableWriter(target) as writer:
            writer.write(pd.DataFrame({"a": ["1", "2"]}))
            writer.write(pd.DataFrame({"a": ["3", "4"]}))
    assert not target.exists() and not (tmp_path / "out.xlsx.partial").exists()


def test_io_writer_columns_fixed_by_the_first_frame(tmp_path):
    with pytest.raises(ValueError, match="differ"):
        with TableWriter(tmp_path / "out.csv") as writer:
            writer.write(pd.DataFrame({"a": ["1"]}))
            writer.write(pd.DataFrame({"a": ["2"], "b": ["x"]}))
    assert not (tmp_path / "out.csv").exists()


def test_io_one_writer_per_output(tmp_path):
    target = tmp_path / "out.csv"
    with TableWriter(target) as first:
        first.write(pd.DataFrame({"a": ["1"]}))
        with pytest.raises(InputError, match=rf"out.csv: another textmine run is writing this file \(pid {os.getpid()} "):
            with TableWriter(target) as second:
                second.write(pd.DataFrame({"a": ["x"]}))
        first.write(pd.DataFrame({"a": ["2"]}))
    assert list(read_table(target)["a"]) == ["1", "2"]
    assert not (tmp_path / "out.csv.lock").exists()
    (tmp_path / "out.csv.lock").write_text("pid 1 on a host that crashed", encoding="utf-8")  # no process holds it
    with TableWriter(target) as third:
        third.write(pd.DataFrame({"a": ["3"]}))
    assert list(read_table(target)["a"]) == ["3"]


def test_io_big5_detected_and_read(tmp_path):
    from textmine.normalise import normalise_text

    traditional = "id,review\n" + "".join(f"{i},{t}\n" for i, t in enumerate(SENTENCES))
    from opencc import OpenCC

    traditional = OpenCC("s2t").convert(traditional)
    path = _write_bytes(tmp_path / "big5.csv", traditional, "big5")
    assert guess_encoding(path) == EncodingGuess("cp950")
    frame = read_table(path)
    assert len(frame) == len(SENTENCES)
    assert [normalise_text(t) for t in frame["review"]] == [normalise_text(t) for t in SENTENCES]


def test_io_unsure_encoding_is_said(tmp_path):
    path = _write_bytes(tmp_path / "short.csv", "id,review\n1,好吃\n", "gbk")
    guess = guess_encoding(path)
    assert not guess.sure and "Big5" in guess.note
    with pytest.warns(InputWarning, match="short.csv: encoding guessed as gb18030, but not sure"):
        frame = read_table(path)
    assert list(frame["review"]) == ["好吃"]


def test_io_gbk_file_with_one_utf8_line(tmp_path):
    rows = [f"{i},{t}\n" for i, t in enumerate(SENTENCES)]
    data = ("id,review\n" + "".join(rows[:5])).encode("gbk") + rows[5].encode("utf-8") + "".join(rows[6:]).encode("gbk")
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    assert guess_encoding(path) == EncodingGuess("gb18030")
    with pytest.warns(InputWarning, match=r"1 line\(s\) are not gb18030 like the rest and were read as utf-8: lines 7"):
        frame = read_table(path)
    assert list(frame["review"]) == SENTENCES and frame.attrs["read_errors"] == [""] * len(SENTENCES)


def test_io_bytes_no_encoding_reads_flag_their_row(tmp_path):
    rows = "".join(f"{i},{t}\n" for i, t in enumerate(SENTENCES[:6])).encode("gbk")
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,review\n" + rows + b"6,\xff\xff\n")
    frame = read_table(path)
    assert len(frame) == 7 and list(frame["review"])[:6] == SENTENCES[:6]
    assert frame.loc[6, "review"] == "\ufffd\ufffd" and frame.attrs["read_errors"] == [""] * 6 + [UNDECODABLE]


def test_io_duplicated_text_column_is_a_clear_error():
    with pytest.raises(InputError, match=r"d.csv: the text column 'review' appears 2 times"):
        find_text_column(["id", "review", "review"], path="d.csv")
    with pytest.raises(InputError, match="'评论' appears 2 times"):
        find_text_column(["评论", "评论"], "评论")


def test_io_prefixed_names_never_overwrite():
    assert prefixed(["error", "tokens"], ["error", "textmine_error"]) == {"error": "textmine_textmine_error",
                                                                          "tokens": "tokens"}


def test_io_cr_line_ends_and_bare_cr_in_unquoted_text(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes("id,review\r1,好吃\r2,太慢\r".encode("utf-8"))
    frame = read_table(path)
    assert list(frame["review"]) == ["好吃", "太慢"] and frame.attrs["rows"] == [2, 3]
    path.write_bytes("id,review\n1,好\r吃\n2,太慢\n".encode("utf-8"))
    frame = read_table(path)
    assert len(frame) == 3 and list(frame["id"]) == ["1", "吃", "2"]
    assert frame.attrs["read_errors"][1].startswith("malformed line")
