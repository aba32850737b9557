"""The README's promises: its test command is the one CI runs; its catalogue table lists every indicator."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", section, flags=re.S)


def test_quick_start_has_exactly_two_commands():
    assert len(_quick_start_commands()) == 2


def test_ci_runs_the_readme_test_command():
    ci_command = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert _quick_start_commands()[1].strip() == ci_command


def test_every_catalogue_indicator_is_documented():
    codes = [row["code"] for row in tomllib.loads((ROOT / "data/kpi/catalogue.toml").read_text("utf-8"))["indicator"]]
    missing = [code for code in codes if f"`{code}`" not in README]
    assert missing == []
