"""Pure rules: how a typed name becomes the printed one, and how codes are made and read."""

import pytest

from lms.certificates import codes, render


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("  Amina   Haddad ", "Amina Haddad"),
        ("Amina\tHaddad\n", "Amina Haddad"),
        ("\u202eAmina\u202c Haddad", "Amina Haddad"),
        ("\u2066سارة\u2069 \u200fحداد", "سارة حداد"),
        ("Cafe\u0301", "Café"),  # NFC
        ("Ama\u200bni", "Amani"),  # zero-width space goes
        ("نرگس\u200cزاده", "نرگس\u200cزاده"),  # the zero-width non-joiner stays
        ("<b>x</b>", "<b>x</b>"),
    ],
)
def test_clean_name(typed, printed):
    assert render.clean_name(typed) == printed


def test_every_bidi_control_is_removed():
    controls = "".join(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
    assert render.clean_name(f"A{controls}B") == "AB"


def test_check_name_limits_length_after_cleaning():
    assert render.check_name("A" * 120) == "A" * 120
    assert render.check_name("\u202e" * 50 + "A" * 120) == "A" * 120
    with pytest.raises(render.UnprintableName, match="at most 120"):
        render.check_name("A" * 121)


@pytest.mark.parametrize("name", ["Amina 😀", "王小明", "Amina \U0001f1f5\U0001f1f8", "\ue000"])
def test_check_name_refuses_what_the_fonts_cannot_draw(name):
    with pytest.raises(render.UnprintableName, match="cannot print"):
        render.check_name(name)


def test_text_direction_of_a_name():
    assert render.text_direction_of("سارة Haddad") == "rtl"
    assert render.text_direction_of("123 Amina") == "ltr"


def test_codes_are_128_random_bits_in_crockford_base32():
    made = {codes.new_code() for _ in range(200)}
    assert len(made) == 200
    assert all(len(c) == 26 and set(c) <= set(codes.ALPHABET) for c in made)
    assert all(c[0] in "01234567" for c in made)  # 26 * 5 = 130 bits: the first carries 3


def test_codes_read_back_however_they_are_typed():
    code = codes.new_code()
    shown = codes.format_code(code)
    assert shown.count("-") == 6 and shown.replace("-", "") == code
    assert codes.parse_code(shown) == code
    assert codes.parse_code(shown.lower()) == code
    assert codes.parse_code(f"  {code.lower()} ") == code
    assert codes.parse_code(" ".join(shown.split("-"))) == code
    assert codes.parse_code("O" + code[1:]) == "0" + code[1:]  # O reads as 0
    assert codes.parse_code("l" + code[1:]) == "1" + code[1:]  # l reads as 1


@pytest.mark.parametrize("typed", ["", "ABC", "U" * 26, "A" * 27, "<script>", "A" * 500])
def test_bad_codes_are_refused(typed):
    assert codes.parse_code(typed) is None
