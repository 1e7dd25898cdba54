"""The one number format (roleplan/numbers.py): what a person reads, filter by filter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

NBSP = "\u00a0"


def render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (8000, "8,000"),
        (Decimal("1234567.50"), "1,234,567.5"),
        (Decimal("4.00"), "4"),
        (Decimal("0.25"), "0.25"),
        (0.1 + 0.2, "0.3"),
        (Decimal("2.005"), "2.01"),
        (-1500, "-1,500"),
        (Decimal("-0.001"), "0"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_num_separates_thousands_and_drops_trailing_zeros(value, shown):
    assert render("{{ v|num }}", v=value) == shown


def test_num_rounds_to_the_places_asked_for():
    assert render("{{ v|num:0 }}", v=Decimal("1234.5")) == "1,235"
    assert render("{{ v|num:1 }}", v=Decimal("21.46")) == "21.5"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(21, "21.0"), (Decimal("22.14"), "22.1"), (Decimal("21.40"), "21.4"), (1250, "1,250.0")],
)
def test_pct_always_has_one_decimal_and_a_no_break_space(value, shown):
    assert render("{{ v|pct }}", v=value) == f"{shown}{NBSP}%"


def test_money_puts_the_currency_code_first_with_cents_only_when_there_are_some():
    assert render('{{ v|money:"EUR" }}', v=Decimal("8000.00")) == f"EUR{NBSP}8,000"
    assert render('{{ v|money:"EUR" }}', v=Decimal("1234.5")) == f"EUR{NBSP}1,234.50"
    assert render('{{ v|money:"USD" }}', v=-500) == f"USD{NBSP}-500"
    assert render("{{ v|money }}", v=None) == "—"


def test_quantity_reads_a_percent_unit_as_a_percentage_and_others_after_the_number():
    assert render("{{ v|quantity:'%' }}", v=Decimal("18.0000")) == f"18.0{NBSP}%"
    assert render("{{ v|quantity:' h' }}", v=Decimal("26.0000")) == f"26{NBSP}h"
    assert render("{{ v|quantity:'' }}", v=Decimal("1200.5000")) == "1,200.5"


def test_signed_always_writes_the_sign():
    assert render("{{ v|signed }}", v=6) == "+6"
    assert render("{{ v|signed }}", v=Decimal("-2.50")) == "-2.5"
    assert render("{{ v|signed }}", v=0) == "0"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1200000, "1.2M"), (45000, "45k"), (12345, "12.3k"), (9999, "9,999"), (500, "500")],
)
def test_short_abbreviates_from_ten_thousand_up(value, shown):
    assert render("{{ v|short }}", v=value) == shown


def test_the_filters_need_no_load_tag_in_any_template():
    assert render("{{ a|num }} {{ b|pct }}", a=1000, b=5) == f"1,000 5.0{NBSP}%"
