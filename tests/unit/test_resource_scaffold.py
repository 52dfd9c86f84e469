"""The resource generator's plan, without a copy of the repository: names, spellings, the migration
number, and that a missing marker refuses the whole plan (tests/integration/test_resource_generator.py
runs the generator for real)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.cli import scaffold

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("plural", "singular"),
    [("widgets", "widget"), ("categories", "category"), ("boxes", "box"), ("order_lines", "order_line")],
)
def test_singular_of_reads_regular_english_plurals(plural: str, singular: str) -> None:
    assert scaffold.singular_of(plural) == singular


@pytest.mark.parametrize(
    "name", ["widget", "status", "glass", "../x", "Widgets", "a-b", "", "x" * 41, "classes"]
)
def test_check_name_refuses_what_cannot_be_a_resource(name: str) -> None:
    with pytest.raises(scaffold.RefusedName):
        scaffold.check_name(ROOT, name)


def test_check_name_refuses_existing_features_and_taken_tables() -> None:
    with pytest.raises(scaffold.RefusedName, match="already"):
        scaffold.check_name(ROOT, "users")
    with pytest.raises(scaffold.RefusedName, match="already"):
        scaffold.check_name(ROOT, "gadgets", taken={"gadgets"})


def test_the_plan_names_every_spelling_and_the_next_migration() -> None:
    planned = scaffold.plan(ROOT, "order_lines")

    head, number = scaffold.next_revision(ROOT / "migrations" / "versions")
    (migration,) = [path for path in planned.created if path.startswith("migrations/")]
    assert migration.endswith(f"_{number}_create_order_lines.py")
    assert f'down_revision = "{head}"' in planned.created[migration]
    assert "class OrderLine(Base):" in planned.created["app/order_lines/models.py"]
    assert 'url_prefix=f"{API_V1}/order-lines"' in planned.created["app/order_lines/routes.py"]
    assert "RATELIMIT_ORDER_LINES" in planned.edited["app/config.py"]
    assert "### DELETE /api/v1/order-lines/{order_line_id}" in planned.edited["docs/api.md"]
    assert '"updateOrderLine": _expect(' in planned.edited["tests/api/test_contract_positive_data.py"]
    assert not (ROOT / "app" / "order_lines").exists()


def test_a_central_file_without_its_marker_refuses_the_whole_plan(tmp_path: Path) -> None:
    for name in ("app", "migrations", "tests/api/edge", "docs"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in (
        "README.md",
        ".env.example",
        "tests/contracts.py",
        "pyproject.toml",
        "tests/api/test_contract_positive_data.py",
    ):
        shutil.copy(ROOT / name, tmp_path / name)
    config = tmp_path / "app" / "config.py"
    config.write_text(config.read_text().replace(scaffold.MARKERS["settings"], ""))

    with pytest.raises(scaffold.RefusedName, match=r"app/config\.py"):
        scaffold.plan(tmp_path, "sprockets")
    assert not (tmp_path / "app" / "sprockets").exists()
