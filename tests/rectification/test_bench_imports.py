"""`manage.py bench_imports` still runs (one hostile and one ordinary case), so
the figures in docs/benchmarks.md can be measured again."""

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_benchmark_measures_a_refusal_and_an_import():
    out = io.StringIO()
    call_command("bench_imports", "--case", "far-row", "--case", "units-wide-row", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("far-row") and "refused: The file has more than 3000 rows" in line for line in lines)
    assert lines[-1].startswith("worst: ")
