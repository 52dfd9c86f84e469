"""docs/architecture.md and the README describe the code as it is: every file, folder and module
they name exists, and every module a layer's table row lists is in that layer's folder."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "docs" / "architecture.md", ROOT / "README.md"]

_CODE = re.compile(r"`([^`\s]+)`")
_DOTTED = re.compile(r"app(?:\.\w+)+")
_LAYER_ROW = re.compile(r"^\| `(app/\w+/)` \|")


def _spans(document: Path) -> list[str]:
    return _CODE.findall(document.read_text(encoding="utf-8"))


_TOP_LEVEL = ("app/", "tests/", "migrations/", "deploy/", "bench/", "docs/", ".ci/")


def _named_paths(document: Path) -> list[str]:
    """Repository paths in code spans, leaving out placeholders such as `app/<feature>/models.py`."""
    return [span for span in _spans(document) if span.startswith(_TOP_LEVEL) and "<" not in span]


def _resolves(dotted: str) -> bool:
    """The longest importable prefix is a module, and what follows are attributes of it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # a prefix is a module, so this name is an attribute of it
            continue
        if found is None:
            continue
        target: object = importlib.import_module(name)
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_named_path_exists(document: Path) -> None:
    missing = [path for path in _named_paths(document) if not (ROOT / path).exists()]
    assert missing == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_named_module_resolves(document: Path) -> None:
    named = [span for span in _spans(document) if _DOTTED.fullmatch(span)]
    assert [name for name in named if not _resolves(name)] == []


def test_each_layer_row_lists_modules_of_its_own_folder() -> None:
    rows = [
        line
        for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines()
        if _LAYER_ROW.match(line)
    ]
    assert len(rows) >= 4
    for row in rows:
        match = _LAYER_ROW.match(row)
        assert match is not None
        folder = ROOT / match.group(1)
        listed = [span for span in _CODE.findall(row) if re.fullmatch(r"\w+\.py", span)]
        assert listed, row
        assert [name for name in listed if not (folder / name).is_file()] == []


def test_every_shared_module_is_in_the_layer_table() -> None:
    """A module added to a shared layer without a word in the document fails here."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for layer in ("domain", "persistence", "observability", "web"):
        modules = sorted(p.name for p in (ROOT / "app" / layer).glob("*.py") if p.name != "__init__.py")
        assert [name for name in modules if f"`{name}`" not in text] == [], layer
