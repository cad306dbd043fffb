"""Figures as the speech writes them: Arabic digits, money in 万元 with at most one
decimal, rates with one decimal, dates as 2026年11月28日."""

import datetime
from decimal import ROUND_HALF_UP, Decimal


def count(value):
    """A count: 470."""
    return str(int(value))


def money(value):
    """万元 with at most one decimal: 470, 12.4 (never 470.0)."""
    amount = Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{amount:f}"
    return text[:-2] if text.endswith(".0") else text


def percent(value):
    """A rate with one decimal: 85.7%."""
    return f"{Decimal(str(value)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}%"


def day(value):
    """2026年11月28日."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_ordinal(n):
    """1 → 一, 12 → 十二 (the section numbers (一)(二) …)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
