"""Money and numbers as the bank's users read and write them (core.money, the `money` template library,
core.forms.AmountField): one place, both languages."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from core import money
from core.forms import AmountField


def render(text: str, **context) -> str:
    return Template("{% load money %}" + text).render(Context(context))


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (Decimal("12345678.90"), "1,234.57", "12,345,679"),
        (Decimal("5000"), "0.50", "5,000"),
        (Decimal("-2500000"), "-250.00", "-2,500,000"),
        (Decimal("0.004"), "0.00", "0"),  # never "-0.00"
        (Decimal("-0.004"), "0.00", "0"),
        (None, "—", "—"),
        ("", "—", "—"),
        ("not a number", "—", "—"),
    ],
)
def test_table_figures_are_in_wan_in_chinese_and_full_yuan_in_english(value, zh, en):
    assert money.table_figure(value, "zh-hans") == zh
    assert money.table_figure(value, "en") == en


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (Decimal("1234567890"), "12.35亿元", "CNY 1.23 bn"),
        (Decimal("100000000"), "1.00亿元", "CNY 100.00 m"),
        (Decimal("12000000"), "1,200.00万元", "CNY 12.00 m"),  # under 1亿 a tile reads in 万元
        (Decimal("8000"), "0.80万元", "CNY 8,000"),
    ],
)
def test_tiles_carry_their_unit(value, zh, en):
    assert money.tile_figure(value, "zh-hans") == zh
    assert money.tile_figure(value, "en") == en


def test_the_exact_figure_is_on_hover_and_the_unit_in_the_header():
    with translation.override("zh-hans"):
        html = render("{{ v|money }}|{% money_unit %}|{{ v|money_tile }}", v=Decimal("12500000"))
        assert html == ('<span class="money" title="12,500,000.00 元">1,250.00</span>|（万元）|'
                        '<span class="money" title="12,500,000.00 元">1,250.00万元</span>')
        assert render("{{ v|money:'USD' }}", v=Decimal("10000")) == '<span class="money" title="10,000.00 USD">1.00</span>'
    with translation.override("en"):
        html = render("{{ v|money }}|{% money_unit %}", v=Decimal("12500000"))
        assert html == '<span class="money" title="CNY 12,500,000.00">12,500,000</span>| (CNY)'
        assert render("{{ v|money }}", v=None) == "—"


def test_percentages_have_no_space_and_one_precision_per_kind():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert render("{{ a|pct }} {{ b|ratio_pct }} {{ c|share_pct }} {{ n|num }}",
                          a=Decimal("84.44"), b=Decimal("0.8445"), c=Decimal("51"), n=12345) == "84.4% 84.5% 51.00% 12,345"


def test_formatting_escapes_what_it_is_given():
    assert "<script>" not in render("{{ v|money:c }}", v=Decimal("1"), c="<script>")


@pytest.mark.parametrize(
    ("text", "default_unit", "expected"),
    [
        ("125万", Decimal(1), Decimal("1250000")),
        ("125万元", Decimal(1), Decimal("1250000")),
        ("1.5亿", Decimal(1), Decimal("150000000")),
        ("1,250,000", Decimal(1), Decimal("1250000")),
        ("1,250,000.50元", money.WAN, Decimal("1250000.50")),  # a written unit wins over the field's
        ("125", money.WAN, Decimal("1250000")),  # a bare number is in the field's unit
        ("￥1,250,000", Decimal(1), Decimal("1250000")),
        ("CNY 3.2m", Decimal(1), Decimal("3200000")),
        ("1.2bn", Decimal(1), Decimal("1200000000")),
        ("１２５万", Decimal(1), Decimal("1250000")),  # full-width digits
        ("-30万", Decimal(1), Decimal("-300000")),
    ],
)
def test_amounts_are_read_as_people_write_them(text, default_unit, expected):
    assert money.parse_amount(text, default_unit=default_unit) == expected


@pytest.mark.parametrize("text", ["12万3", "1.2.3", "万", "abc", "1e9", "12 dollars", "NaN", "Infinity", "--5", ""])
def test_what_is_not_an_amount_is_refused(text):
    with pytest.raises(money.AmountError):
        money.parse_amount(text)


def test_the_amount_field_states_its_unit_and_reads_it():
    field = AmountField(label="Limit", max_digits=20, decimal_places=2, min_value=0)
    with translation.override("zh-hans"):
        assert field.label == "Limit（万元）"
        assert field.clean("125") == Decimal("1250000")
        assert field.clean("1.5亿") == Decimal("150000000")
        assert field.prepare_value(Decimal("12500000.00")) == "1250"
        with pytest.raises(ValidationError):
            field.clean("-5")
    with translation.override("en"):
        assert field.label == "Limit (CNY)"
        assert field.clean("1,250,000") == Decimal("1250000")
        assert field.clean("125万") == Decimal("1250000")
        assert field.prepare_value(Decimal("12500000.00")) == "12500000"
        with pytest.raises(ValidationError) as refused:
            field.clean("12万3")
        assert "125万" in str(refused.value)
        with pytest.raises(ValidationError):
            field.clean("0.001")  # more decimals than the model keeps
