"""The layers of the code hold (.importlinter): campaign below rectification
below reports below the demo, config above all, nothing importing the demo,
and no import circles inside a package. Part of the test run, so CI fails when
a change crosses a layer."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "demo", "reports", "rectification", "campaign")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_layer_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.fixture
def copy_of_the_code(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / ".importlinter", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "module, line, broken",
    [
        ("campaign/crossing.py", "from rectification.models import Task\n", "Layers"),
        ("rectification/crossing.py", "def later():\n    from reports import ledger\n", "Layers"),
        ("reports/crossing.py", "import demo.ledger\n", "Nothing imports the demo"),
        ("rectification/policy_lookup.py", "from rectification.models import WarningPolicy\n", "No import circles"),
    ],
)
def test_a_crossing_fails_the_run(copy_of_the_code, module, line, broken):
    """The contracts are not vacuous: one import the wrong way (even inside a
    function), and the check fails naming the contract."""
    if module == "rectification/policy_lookup.py":
        # a circle: the policy, which the models use, reading the models
        (copy_of_the_code / "rectification/policy.py").write_text(
            (copy_of_the_code / "rectification/policy.py").read_text() + "\nfrom rectification import policy_lookup\n"
        )
    (copy_of_the_code / module).write_text(line)
    result = lint_imports(copy_of_the_code)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout.split("Broken contracts")[-1], result.stdout
