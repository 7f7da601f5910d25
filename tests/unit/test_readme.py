"""The README's reference sections are the contract's own words."""

from pathlib import Path

import pytest

from trapline.quarantine import reasons_markdown
from trapline.tables import ALL_TABLES, markdown

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.file)
def test_every_table_is_documented_as_contracted(table):
    assert markdown(table) in README


def test_quarantine_reasons_are_documented():
    assert reasons_markdown() in README


def test_quick_start_comes_first():
    quick = README.index("## Quick start")
    assert quick < README.index("## Your season")
    assert "--configfile config/demo.yaml" in README[quick : quick + 600]
    assert "./install.sh && .venv/bin/pytest" in README[quick : quick + 600]


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[2] / ".ci/run").read_text()
    assert "./install.sh && .venv/bin/pytest" in ci
