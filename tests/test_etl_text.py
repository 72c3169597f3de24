"""Vietnamese text repair: file decoding, NFC, TCVN3/VNI columns and mojibake (etl.text)."""

import csv
import io
import shutil
import subprocess
import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.errors import FileDecodingError, TextEncodingError
from etl.text import (
    _TCVN3_DECODE,
    _convert,
    decode_bytes,
    detect_column_encoding,
    encode_legacy,
    repair_column,
    repair_frame,
    to_nfc,
)
from geo.errors import DiabanError

PHRASES = [
    "Phường Tân Biên",
    "Thành phố Biên Hòa",
    "Nhà nghỉ",
    "Karaoke",
    "Lập biên bản, phạt 15.000.000đ",
    "Xã Xuân Tâm",
    "Đội kiểm tra liên ngành",
    "Thị trấn Trảng Bom",
    "Hố Nai 3",
    "Phường Quyết Thắng, TP Biên Hoà",
    "Huyện Nhơn Trạch, tỉnh Đồng Nai",
    "Xã Dầu Giây, huyện Thống Nhất",
    "Cơ sở kinh doanh dịch vụ xoa bóp",
    "Đoàn kiểm tra liên ngành 178 huyện Vĩnh Cửu",
]


def sloppy_cp1252(data: bytes) -> str:
    """What Excel or a text editor shows: cp1252 where defined, the Latin-1 control character elsewhere."""
    out = []
    for byte in data:
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


def excel_cp1258(text: str) -> bytes:
    """What Excel writes as 'CSV (Comma delimited)' on Vietnamese Windows: tones as combining marks."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            nfd = unicodedata.normalize("NFD", ch)
            base, tone = unicodedata.normalize("NFC", nfd[:-1]), nfd[-1]
            out += base.encode("cp1258") + tone.encode("cp1258")
    return out


# ---- legacy code pages: round trips through the inverse tables --------------------------------------


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
@pytest.mark.parametrize("wrong_page", ["latin-1", "cp1252"])
def test_legacy_column_round_trip(encoding, wrong_page):
    garbled = [sloppy_cp1252(encode_legacy(p, encoding)) if wrong_page == "cp1252"
               else encode_legacy(p, encoding).decode("latin-1") for p in PHRASES]
    assert garbled != PHRASES
    fixed, detected, evidence = repair_column(garbled)
    assert detected == encoding
    assert fixed == PHRASES
    assert evidence.n_changed == len(PHRASES) - 1  # all but the ASCII "Karaoke"
    assert evidence.shares[encoding] == 1.0


def test_round_trip_counts_ascii_cells_as_unchanged():
    garbled = [encode_legacy(p, "tcvn3").decode("latin-1") for p in PHRASES]
    _, _, evidence = repair_column(garbled)
    ascii_cells = [p for p in PHRASES if p.isascii()]
    assert ascii_cells == ["Karaoke"]
    assert evidence.n_changed == len(PHRASES) - 1
    assert evidence.n_candidates == len(PHRASES) - 1


def test_every_vietnamese_letter_round_trips_in_both_code_pages():
    letters = [
        unicodedata.normalize("NFC", case(vowel + tone))
        for vowel in "aăâeêioôơuưy"
        for tone in ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
        for case in (str.lower, str.upper)
    ] + ["đ", "Đ"]
    assert len(set(letters)) == 12 * 6 * 2 + 2
    for encoding in ("tcvn3", "vni"):
        # detection aside, the conversion itself must be exact for every letter, also between others
        raw = [encode_legacy(f"x{letter}n", encoding) for letter in letters]
        assert [_convert(r, encoding) for r in raw] == [f"x{letter}n" for letter in letters]


def test_known_byte_forms():
    assert encode_legacy("Xã Xuân Hưng, huyện Xuân Lộc, tỉnh Đồng Nai", "tcvn3").decode("latin-1") == (
        "X· Xu©n H\xadng, huyÖn Xu©n Léc, tØnh §ång Nai"
    )
    assert encode_legacy("Xã Xuân Hưng, huyện Xuân Lộc, tỉnh Đồng Nai", "vni").decode("latin-1") == (
        "Xaõ Xuaân Höng, huyeän Xuaân Loäc, tænh Ñoàng Nai"
    )
    assert encode_legacy("Xin chào các bạn", "vni").decode("latin-1") == "Xin chaøo caùc baïn"


@pytest.mark.skipif(shutil.which("iconv") is None, reason="glibc iconv is the oracle for the TCVN3 table")
def test_tcvn3_table_matches_glibc_iconv():
    raw = bytes(range(0xA1, 0x100))
    result = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=raw, capture_output=True)
    if result.returncode != 0:
        pytest.skip("this iconv has no TCVN5712-1")
    assert "".join(_TCVN3_DECODE[b] for b in raw) == result.stdout.decode("utf-8")


def test_encode_legacy_rejects_what_it_cannot_write():
    with pytest.raises(TextEncodingError, match="'€'"):
        encode_legacy("giá 5 €", "tcvn3")
    with pytest.raises(TextEncodingError, match="'ß'"):
        encode_legacy("Straße", "vni")
    with pytest.raises(TextEncodingError, match="'viscii'"):
        encode_legacy("Biên Hòa", "viscii")


# ---- the worked example of data-realities.md §7.5 ------------------------------------------------------


def test_vntime_inspection_row_of_section_7_5():
    raw = pd.DataFrame(
        {
            "header": ["Tªn c¬ së", "§Þa chØ", "Ngµy KT", "KÕt qu¶"],
            "value": [
                "Karaoke Hoa Sen",
                "KP 5, P. T©n Biªn, TP Biªn Hoµ",
                "43631",
                "LËp biªn b¶n, ph¹t 15.000.000®",
            ],
        }
    )
    fixed, report = repair_frame(raw)
    assert fixed["header"].tolist() == ["Tên cơ sở", "Địa chỉ", "Ngày KT", "Kết quả"]
    assert fixed["value"].tolist() == [
        "Karaoke Hoa Sen", "KP 5, P. Tân Biên, TP Biên Hoà", "43631", "Lập biên bản, phạt 15.000.000đ",
    ]
    assert report["encoding"].tolist() == ["tcvn3", "tcvn3"]
    assert report.loc["value", "n_changed"] == 2
    assert raw.loc[0, "header"] == "Tªn c¬ së"  # input untouched


def test_soft_hyphen_is_the_letter_u_horn_in_tcvn3():
    fixed, encoding, _ = repair_column(["Ph\xadêng Hè Nai", "Ph\xadêng Tam Ph\xadíc"])
    assert encoding == "tcvn3"
    assert fixed == ["Phường Hố Nai", "Phường Tam Phước"]


# ---- mojibake ------------------------------------------------------------------------------------------


def test_mojibake_cp1252_is_repaired():
    assert "Biên Hòa".encode().decode("cp1252") == "BiÃªn HÃ²a"
    fixed, encoding, _ = repair_column(["BiÃªn HÃ²a", "Karaoke", None])
    assert (fixed, encoding) == (["Biên Hòa", "Karaoke", None], "mojibake_latin1")


def test_mojibake_with_undefined_cp1252_bytes_is_repaired():
    garbled = [sloppy_cp1252(p.encode("utf-8")) for p in PHRASES]
    assert garbled[0] == "PhÆ°á»\x9dng TÃ¢n BiÃªn"
    fixed, encoding, evidence = repair_column(garbled)
    assert encoding == "mojibake_latin1"
    assert fixed == PHRASES
    assert evidence.shares["mojibake_latin1"] == 1.0


# ---- Unicode is never corrupted ------------------------------------------------------------------------


def test_unicode_column_is_unchanged():
    column = ["Biên Hòa", "Thị trấn Trảng Bom", "Hố Nai 3", "Karaoke", "12", "", None, float("nan")]
    column.append("Tân Biên")
    fixed, encoding, evidence = repair_column(column)
    assert encoding == "unicode"
    assert fixed[:7] == column[:7] and fixed[8] == "Tân Biên"
    assert evidence.n_changed == 0


def test_latin1_only_unicode_words_are_not_taken_for_legacy_text():
    # every character here is Latin-1, so each legacy reading is tried; the unchanged text must win
    column = ["Tân Biên", "Xuân Tâm", "Hòa", "Bàu Cá", "Gò Mè", "Tân Mai"]
    fixed, encoding, evidence = repair_column(column)
    assert (fixed, encoding) == (column, "unicode")
    assert evidence.n_candidates == 6 and evidence.shares["unchanged"] == 1.0


def test_foreign_latin1_text_is_left_alone():
    column = ["Müller Straße", "Café Noël", "Señor"]
    fixed, encoding, _ = repair_column(column)
    assert fixed == column
    assert encoding == "undecided"


SYLLABLES = (  # noqa: SIM905 - a sentence reads better than a list of 70 quoted words
    "Biên Hòa Hoà Tân Xuân Tâm Phường Thị trấn Trảng Bom Hố Nai Đồng Long Khánh Nhơn Trạch Định Quán "
    "Vĩnh Cửu Cẩm Mỹ Thống Nhất Lộc Bàu Hàm Dầu Giây Gia Kiệm Túc Trưng Sông Ray Gò Mè Cá Tam Phước "
    "Hiệp Quyết Thắng Thanh Bình nhà nghỉ karaoke quán massage lập biên bản phạt xã huyện tỉnh đội "
    "kiểm tra liên ngành cơ sở khu phố ấp"
).split()
CELL = st.lists(
    st.one_of(
        st.sampled_from(SYLLABLES),
        st.integers(0, 999).map(str),
        st.sampled_from(["KP", "TP", "P.", "-", ","]),
    ),
    min_size=0, max_size=8,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(CELL, st.none()), min_size=1, max_size=12))
def test_property_unicode_vietnamese_columns_are_never_changed(column):
    fixed, encoding, evidence = repair_column(column)
    assert fixed == column
    assert encoding == "unicode"
    assert evidence.n_changed == 0


# ---- NFC -----------------------------------------------------------------------------------------------


def test_nfd_input_is_normalised_to_nfc():
    nfd = [unicodedata.normalize("NFD", p) for p in PHRASES]
    assert nfd != PHRASES
    fixed, encoding, evidence = repair_column(nfd)
    assert (fixed, encoding) == (PHRASES, "unicode")
    assert evidence.n_changed == sum(a != b for a, b in zip(nfd, PHRASES, strict=True))
    assert to_nfc("He\u0323\u0302 tho\u0302\u0301ng") == "Hệ thống"


def test_to_nfc_rejects_non_text():
    with pytest.raises(TextEncodingError, match="got int 5"):
        to_nfc(5)


# ---- mixed column --------------------------------------------------------------------------------------


def test_mostly_tcvn3_column_with_ascii_cells():
    legacy = ["Phường Tân Biên", "Xã Xuân Tâm", "Nhà nghỉ Hoa Sen", "Đội kiểm tra liên ngành", "TP Biên Hòa"]
    ascii_cells = ["Karaoke", "KP 5", "2019"]
    column = [encode_legacy(p, "tcvn3").decode("latin-1") for p in legacy] + ascii_cells + [None]
    assert detect_column_encoding(column) == "tcvn3"
    fixed, _, evidence = repair_column(column)
    assert fixed == legacy + ascii_cells + [None]
    assert evidence.n_changed == len(legacy)


def test_unicode_cells_in_a_tcvn3_column_are_not_converted_again():
    column = [encode_legacy(p, "tcvn3").decode("latin-1") for p in PHRASES[:6]] + ["Phường Hố Nai"]
    fixed, encoding, evidence = repair_column(column)
    assert encoding == "tcvn3"
    assert fixed == [*PHRASES[:6], "Phường Hố Nai"]
    assert evidence.n_unicode == 1


def test_series_keeps_index_name_and_dtype():
    series = pd.Series(["T©n Biªn", "Karaoke", None], index=[10, 20, 30], name="ten", dtype=object)
    fixed, encoding, _ = repair_column(series)
    assert encoding == "tcvn3"
    assert fixed.index.tolist() == [10, 20, 30] and fixed.name == "ten" and fixed.dtype == object
    assert fixed.tolist() == ["Tân Biên", "Karaoke", None]


def test_repair_frame_skips_numbers_and_reports_each_text_column():
    frame = pd.DataFrame({"a": ["Biên Hòa", None], "b": ["BiÃªn HÃ²a", "x"], "n": [1.5, 2.0]})
    fixed, report = repair_frame(frame)
    assert list(report.index) == ["a", "b"]
    assert report["encoding"].tolist() == ["unicode", "mojibake_latin1"]
    assert fixed["b"].tolist() == ["Biên Hòa", "x"] and fixed["n"].tolist() == [1.5, 2.0]
    with pytest.raises(TextEncodingError, match="got list"):
        repair_frame([1, 2])


# ---- file bytes ----------------------------------------------------------------------------------------


def test_decode_utf8_with_and_without_bom():
    text = "Tên cơ sở,Địa chỉ\nKaraoke Hoa Sen,Phường Tân Biên\n"
    assert decode_bytes(text.encode("utf-8")) == (text, "utf-8")
    assert decode_bytes(text.encode("utf-8-sig")) == (text, "utf-8-sig")
    nfd = unicodedata.normalize("NFD", text).encode("utf-8")
    assert decode_bytes(nfd) == (text, "utf-8")


def test_decode_cp1258_bytes_to_nfc():
    text = "Tên cơ sở,Địa chỉ\nKaraoke Hoa Sen,Phường Tân Biên, TP Biên Hòa\n"
    data = excel_cp1258(text)
    assert b"Ho\xcca" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    decoded, encoding = decode_bytes(data)
    assert encoding == "cp1258"
    assert decoded == text and unicodedata.is_normalized("NFC", decoded)


def test_undecodable_bytes_raise_a_clear_error():
    with pytest.raises(FileDecodingError, match=r"ds\.csv: byte b'\\x81' at offset 3") as info:
        decode_bytes(b"abc\x81def", source="ds.csv")
    assert isinstance(info.value, DiabanError) and isinstance(info.value, ValueError)
    assert "CSV UTF-8" in str(info.value)
    with pytest.raises(FileDecodingError, match="after its BOM"):
        decode_bytes(b"\xef\xbb\xbfabc\xff")
    with pytest.raises(FileDecodingError, match="open the file in 'rb'"):
        decode_bytes("already text")


# ---- raw legacy bytes in a file that is not UTF-8 (read as Windows-1258) ------------------------------

# Bytes that Windows-1258 reads as a character outside Latin-1 (Ă Đ Ơ Ư ă đ ơ ư ₫, five combining tones).
CP1258_NOT_LATIN1 = {b for b in range(0xA0, 0x100) if bytes([b]).decode("cp1258") != chr(b)}
RAW_TCVN3_PHRASES = [
    "Quán chè, tiền phạt có ghi vé",
    "Quyết định xử lý vi phạm",
    "Khiêu dâm, kích dục",
    "Từ Vũng Tàu, hàng cũ vỡ",
    "Thị trấn huyện lỵ Long Thành",
    "HƯỚNG DẪN HỖ TRỢ",
]


def _csv_column(cells: list[bytes]) -> bytes:
    return b"Ghi chu;So\r\n" + b"".join(cell + b";%d\r\n" % i for i, cell in enumerate(cells))


def _decoded_frame(data: bytes) -> pd.DataFrame:
    text, encoding = decode_bytes(data, raw_cp1258=True)
    assert encoding == "cp1258"
    header, *rows = csv.reader(io.StringIO(text), delimiter=";")
    return pd.DataFrame(rows, columns=header, dtype=object)


def test_raw_tcvn3_bytes_in_a_cp1258_file_repair_exactly():
    cells = [encode_legacy(p, "tcvn3") for p in RAW_TCVN3_PHRASES]
    assert len(CP1258_NOT_LATIN1) == 14 and set(b"".join(cells)) >= CP1258_NOT_LATIN1
    frame = _decoded_frame(_csv_column(cells))
    assert frame["Ghi chu"][2] == "Khiªu d©m, kƯch dôc"  # Windows-1258 reads 0xDD as "Ư"
    fixed, report = repair_frame(frame, source_codec="cp1258")
    assert fixed["Ghi chu"].tolist() == RAW_TCVN3_PHRASES
    assert report.loc["Ghi chu", "encoding"] == "tcvn3" and report.loc["Ghi chu", "n_unicode"] == 0
    # Without the codec the bytes are lost to NFC and to the characters outside Latin-1.
    decoded = [to_nfc(cell.decode("cp1258")) for cell in cells]
    assert repair_column(decoded)[0] != RAW_TCVN3_PHRASES


def test_raw_vni_bytes_in_a_cp1258_file_repair_exactly():
    phrases = ["Phường Tân Phong", "Khiêu dâm, kích dục", "Quyết định xử lý", "Hố Nai 3"]
    cells = [encode_legacy(p, "vni") for p in phrases]
    fixed, report = repair_frame(_decoded_frame(_csv_column(cells)), source_codec="cp1258")
    assert fixed["Ghi chu"].tolist() == phrases and report.loc["Ghi chu", "encoding"] == "vni"


def _cp1258_tones(text: str) -> bytes:
    """Windows-1258 bytes with every tone as a combining mark after its (NFC) base letter."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for ch in text:
        nfd = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in tones))
        out += (base + "".join(c for c in nfd if c in tones)).encode("cp1258")
    return out


def test_cp1258_text_with_combining_tones_comes_back_as_nfc_unicode():
    data = _csv_column([_cp1258_tones(p) for p in PHRASES + RAW_TCVN3_PHRASES])
    assert {0xCC, 0xD2, 0xDE, 0xEC, 0xF2} <= set(data)  # all five tones are combining marks here
    frame = _decoded_frame(data)
    assert not all(unicodedata.is_normalized("NFC", cell) for cell in frame["Ghi chu"])
    fixed, report = repair_frame(frame, source_codec="cp1258")
    assert fixed["Ghi chu"].tolist() == PHRASES + RAW_TCVN3_PHRASES
    assert all(unicodedata.is_normalized("NFC", cell) for cell in fixed["Ghi chu"])
    assert report.loc["Ghi chu", "encoding"] == "unicode" and report.loc["Ghi chu", "n_changed"] > 0


def test_source_codec_is_checked_and_ignores_cells_it_cannot_encode():
    with pytest.raises(TextEncodingError, match="source_codec"):
        repair_column(["Tªn"], source_codec="cp1252")
    fixed, encoding, evidence = repair_column(["Phường Tân Hòa", "Ho\u0300a"], source_codec="cp1258")
    assert fixed == ["Phường Tân Hòa", "Hòa"] and encoding == "unicode" and evidence.n_unicode == 1
