import pytest

from textmine.normalise import normalise_text


def test_normalise_traditional_to_simplified():
    assert normalise_text("這家餐廳的服務態度很好") == "这家餐厅的服务态度很好"


def test_normalise_simplified_text_is_unchanged():
    assert normalise_text("送餐太慢了") == "送餐太慢了"


def test_normalise_full_width_to_half_width():
    assert normalise_text("ＡＰＰ闪退１２３次") == "APP闪退123次"


@pytest.mark.parametrize("raw", ["电话13812345678", "电话138-1234-5678", "电话+86 13812345678", "电话１３８１２３４５６７８"])
def test_normalise_masks_mobile_numbers(raw):
    out = normalise_text(raw)
    assert "PHONE" in out and "1234" not in out and "１２３" not in out


def test_normalise_masks_id_numbers_and_emails():
    out = normalise_text("身份证11010519491231002X，邮箱zhang.san@example.com")
    assert "IDNO" in out and "EMAIL" in out
    assert "1949" not in out and "zhang" not in out


def test_normalise_does_not_mask_short_numbers():
    assert normalise_text("等了45分钟，花了128元") == "等了45分钟,花了128元"


def test_normalise_replaces_urls():
    out = normalise_text("看这里 https://shop.example.com/item?id=9 真坑")
    assert "URL" in out and "example" not in out


def test_normalise_collapses_repeated_punctuation_and_spaces():
    assert normalise_text("太慢了！！！！   差评。。。") == "太慢了! 差评。"


def test_normalise_keeps_emoji():
    assert "😡" in normalise_text("送错了😡")


@pytest.mark.parametrize("value", [None, float("nan"), 42, 3.5, "", "   \n\t "])
def test_normalise_non_text_and_blank_give_empty_string(value):
    assert normalise_text(value) == ""


def test_normalise_drops_control_characters_and_lone_surrogates():
    assert normalise_text("好吃\x00\x07\ud800吗") == "好吃吗"
