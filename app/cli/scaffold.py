"""The resource generator's work, free of Flask: check a name, render the templates, plan every edit.

`plan` reads the repository and returns the complete set of files to write (new files and the
edited central ones) without touching the disk; `apply` writes them. So a refused name, or a
central file that has lost its marker, writes nothing. docs/adding-a-resource.md walks through
what is written and why.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).with_name("resource_templates")
NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
MAX_NAME_LENGTH = 40
# Names the rest of Keel uses for something else: attributes of the unit of work and its fakes,
# routes and tables that exist without a package of their own.
RESERVED = frozenset(
    {"sessions", "reset_tokens", "outbox", "audit", "audit_events", "session", "auth", "health", "ready"}
    | {"metrics", "docs", "openapi", "api", "app", "tests", "migrations", "idempotency_keys", "models"}
    | {"auth_sessions", "password_reset_tokens", "outbox_messages", "jobs", "web", "cli", "config"}
)
REVISION = re.compile(r'^revision = "(\d+)"$', re.MULTILINE)
DOWN_REVISION = re.compile(r'^down_revision = "(\d+)"$', re.MULTILINE)

# Where each central edit goes: a marker line the new lines are inserted above.
MARKERS = {
    "blueprints": "# make resource: generated blueprints above this line",
    "uow": "# make resource: generated repositories above this line",
    "services": "# make resource: generated services above this line",
    "settings": "# make resource: generated settings above this line",
    "settings_load": "# make resource: generated settings are read above this line",
    "body_routes": "# make resource: generated body routes above this line",
    "contracts": "# make resource: generated repository contracts above this line",
    "typed_fakes": "# make resource: generated fakes above this line",
    "positive_data": "# make resource: generated operations above this line",
}


class RefusedName(ValueError):
    """The name cannot be a new resource; the message says why. Nothing was written."""


@dataclass(frozen=True)
class Names:
    plural: str
    singular: str

    @property
    def values(self) -> dict[str, str]:
        camel = "".join(part.capitalize() for part in self.singular.split("_"))
        plural_camel = "".join(part.capitalize() for part in self.plural.split("_"))
        return {
            "plural": self.plural,
            "singular": self.singular,
            "Singular": camel,
            "Plural": plural_camel,
            "PLURAL": self.plural.upper(),
            "path": self.plural.replace("_", "-"),
            "plural_words": self.plural.replace("_", " "),
            "singular_words": self.singular.replace("_", " "),
            "Plural_words": self.plural.replace("_", " ").capitalize(),
        }


@dataclass
class Plan:
    """Every file the generator writes, by path relative to the repository root."""

    created: dict[str, str] = field(default_factory=dict)
    edited: dict[str, str] = field(default_factory=dict)

    def files(self) -> Iterable[tuple[str, str]]:
        yield from self.created.items()
        yield from self.edited.items()


def singular_of(plural: str) -> str:
    """English plural to singular for the common regular cases; the name's last word only."""
    head, _, last = plural.rpartition("_")
    if last.endswith("ies") and len(last) > 3:
        word = last[:-3] + "y"
    elif last.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = last[:-2]
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")):
        word = last[:-1]
    else:
        raise RefusedName(
            f"{plural!r} does not read as a plural (give the plural, such as 'widgets' or 'categories')."
        )
    return f"{head}_{word}" if head else word


def check_name(root: Path, plural: str, *, taken: Iterable[str] = ()) -> Names:
    """The resource's names, or RefusedName saying why this one cannot be used."""
    if not NAME.match(plural) or len(plural) > MAX_NAME_LENGTH:
        raise RefusedName(
            f"{plural!r} is not a usable name: use lower-case snake_case letters and digits, starting "
            f"with a letter, at most {MAX_NAME_LENGTH} characters (such as 'widgets' or 'order_lines')."
        )
    singular = singular_of(plural)
    for word in (plural, singular):
        if keyword.iskeyword(word) or keyword.issoftkeyword(word) or word in dir(builtins):
            raise RefusedName(f"{word!r} is a Python keyword or builtin; choose another name.")
    if plural in RESERVED or singular in RESERVED or plural in set(taken):
        raise RefusedName(f"{plural!r} is already used by Keel; choose another name.")
    for existing in (f"app/{plural}", f"app/{singular}", f"tests/api/{plural}", f"tests/unit/{plural}"):
        if (root / existing).exists():
            raise RefusedName(f"{plural!r} already exists ({existing}); choose another name.")
    return Names(plural=plural, singular=singular)


def render(template: str, names: Names, **extra: str) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    return Template(text).substitute({**names.values, **extra})


def next_revision(versions: Path) -> tuple[str, str]:
    """The migration head and the next number after it."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in versions.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revisions.update(REVISION.findall(text))
        downs.update(DOWN_REVISION.findall(text))
    heads = revisions - downs
    if len(heads) != 1:
        raise RefusedName(f"migrations/versions has {len(heads)} heads ({sorted(heads)}); merge them first.")
    head = heads.pop()
    return head, f"{max(int(r) for r in revisions) + 1:0{len(head)}d}"


def insert_above(text: str, marker: str, lines: Iterable[str], *, path: str) -> str:
    """Insert `lines` above the marker line, at the marker's indentation."""
    found = [line for line in text.splitlines() if line.strip() == marker]
    if len(found) != 1:
        raise RefusedName(f"{path} must hold the line {marker!r} once; restore it and run again.")
    indent = found[0][: len(found[0]) - len(found[0].lstrip())]
    block = "".join(f"{indent}{line}\n" for line in lines)
    return text.replace(f"{found[0]}\n", f"{block}{found[0]}\n", 1)


def append_to_table(text: str, row_containing: str, rows: Iterable[str], *, path: str) -> str:
    """Append rows to the Markdown table that has a row containing `row_containing`."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("|") and row_containing in line]
    if not starts:
        raise RefusedName(f"{path} has no table row containing {row_containing!r}; restore it and run again.")
    end = starts[0]
    while end + 1 < len(lines) and lines[end + 1].startswith("|"):
        end += 1
    return "\n".join([*lines[: end + 1], *rows, *lines[end + 1 :]])


def insert_before_heading(text: str, heading: str, block: str, *, path: str) -> str:
    if f"\n{heading}\n" not in text:
        raise RefusedName(f"{path} has no heading {heading!r}; restore it and run again.")
    return text.replace(f"\n{heading}\n", f"\n{block}\n{heading}\n", 1)


def add_to_all(text: str, name: str, *, path: str) -> str:
    """Add a name to a module's `__all__` list, one name a line (so the edit is one added line)."""
    match = re.search(r"^__all__ = \[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    if match is None:
        raise RefusedName(f"{path} has no __all__ list; restore it and run again.")
    names = sorted({*re.findall(r'"(\w+)"', match[1]), name})
    listed = "".join(f'    "{n}",\n' for n in names)
    return f"{text[: match.start()]}__all__ = [\n{listed}]{text[match.end() :]}"


def plan(root: Path, plural: str, *, taken: Iterable[str] = (), now: datetime | None = None) -> Plan:
    """Everything `make resource NAME=<plural>` writes, computed without writing anything."""
    names = check_name(root, plural, taken=taken)
    v = names.values
    p, s = names.plural, names.singular
    now = now or datetime.now(UTC)
    head, revision = next_revision(root / "migrations" / "versions")
    result = Plan()
    new = result.created
    for module in ("models", "repository", "service", "schemas", "routes"):
        new[f"app/{p}/{module}.py"] = render(f"{module}.py.tmpl", names)
    new[f"app/{p}/__init__.py"] = (
        f'"""{v["Plural_words"]}: each user\'s own (generated by `make resource`)."""\n'
    )
    new[f"migrations/versions/{now:%Y%m%d}_{revision}_create_{p}.py"] = render(
        "migration.py.tmpl",
        names,
        revision=revision,
        down_revision=head,
        created=f"{now:%Y-%m-%d %H:%M:%S}",
    )
    for package in ("tests/unit", "tests/api", "tests/integration"):
        new[f"{package}/{p}/__init__.py"] = ""
    new[f"tests/unit/{p}/fakes.py"] = render("test_fakes.py.tmpl", names)
    new[f"tests/unit/{p}/test_{s}_service.py"] = render("test_service.py.tmpl", names)
    new[f"tests/api/{p}/test_{p}.py"] = render("test_api.py.tmpl", names)
    new[f"tests/integration/{p}/test_{s}_races.py"] = render("test_races.py.tmpl", names)
    result.edited = _central_edits(root, names)
    return result


def _central_edits(root: Path, names: Names) -> dict[str, str]:
    v = names.values
    p, s, cls, setting = names.plural, names.singular, v["Singular"], f"RATELIMIT_{v['PLURAL']}"
    edits: dict[str, str] = {}

    def edit(path: str, *changes: tuple[str, list[str]], imports: Iterable[str] = ()) -> None:
        text = edits.get(path) or (root / path).read_text(encoding="utf-8")
        for slot, lines in changes:
            text = insert_above(text, MARKERS[slot], lines, path=path)
        for line in imports:  # placed after the last import; ruff sorts them afterwards
            text = _add_import(text, line)
        edits[path] = text

    edit("app/models.py", imports=[f"from app.{p}.models import {cls}"])
    edits["app/models.py"] = add_to_all(edits["app/models.py"], cls, path="app/models.py")
    edit(
        "app/factory.py",
        ("blueprints", [f"{p}_blp,"]),
        imports=[f"from app.{p}.routes import blp as {p}_blp"],
    )
    edit(
        "app/composition.py",
        ("uow", [f"self.{p} = Sql{cls}Repository(session)"]),
        (
            "services",
            [
                f"def {s}_service(self) -> {cls}Service:",
                f"    return {cls}Service(uow=self.unit_of_work(), clock=self.clock)",
                "",
            ],
        ),
        imports=[
            f"from app.{p}.repository import Sql{cls}Repository",
            f"from app.{p}.service import {cls}Service",
        ],
    )
    edit(
        "app/config.py",
        ("settings", [f"ratelimit_{p}: str"]),
        ("settings_load", [f'"ratelimit_{p}": env.str("{setting}", "60 per minute", validate=_rate_limit),']),
    )
    edit(
        "tests/api/edge/test_hostile_bodies.py",
        (
            "body_routes",
            [
                f'BodyRoute("POST", "/api/v1/{v["path"]}", "title", admin=True, keyed=True),',
                f'BodyRoute("PATCH", "/api/v1/{v["path"]}/{{{s}_id}}", "title", admin=True),',
            ],
        ),
    )
    edit(
        "tests/api/test_contract_positive_data.py",
        (
            "positive_data",
            [
                f'"list{v["Plural"]}": _expect("admin", **_CURSOR),  # `scope=all` is for admins',
                f'"create{cls}": _expect("user", KEY_REUSED, title=SINGLE_LINE),',
                f'"get{cls}": _expect("user", (404, "not_found")),  # no {v["singular_words"]} has the drawn id',
                f'"update{cls}": _expect("user", (404, "not_found"), title=SINGLE_LINE),',
                f'"delete{cls}": _expect("user", (404, "not_found")),',
            ],
        ),
    )
    edit(
        "tests/contracts.py",
        (
            "contracts",
            [f"OwnedResource(model={cls}, sql=Sql{cls}Repository, fake=Fake{cls}Repository, new=new_{s}),"],
        ),
        imports=[
            f"from app.{p}.models import {cls}",
            f"from app.{p}.repository import Sql{cls}Repository",
            f"from tests.unit.{p}.fakes import Fake{cls}Repository, new_{s}",
        ],
    )
    edit("pyproject.toml", ("typed_fakes", [f'"tests/unit/{p}/fakes.py",']))
    readme = (root / "README.md").read_text(encoding="utf-8")
    readme = append_to_table(
        readme,
        "`GET /audit-events`",
        [
            f"| `GET /{v['path']}`, `POST /{v['path']}` | the caller's own {v['plural_words']}, newest first, "
            f"keyset-paginated (admins: everyone's with `scope=all`); create (`Idempotency-Key`) |",
            f"| `GET`, `PATCH`, `DELETE /{v['path']}/{{id}}` | one of the caller's own {v['plural_words']} "
            "(another user's is a 404); `PATCH` and `DELETE` take `If-Match` |",
        ],
        path="README.md",
    )
    edits["README.md"] = append_to_table(
        readme,
        "`RATELIMIT_VERIFY_EMAIL`",
        [f"| `{setting}` | {v['plural_words']} created per client address | `60 per minute` |"],
        path="README.md",
    )
    env_example = (root / ".env.example").read_text(encoding="utf-8")
    edits[".env.example"] = (
        env_example.rstrip("\n") + f"\n\n# {v['Plural_words']}: how many a client address may create.\n"
        f"# {setting}=60 per minute\n"
    )
    api = (root / "docs/api.md").read_text(encoding="utf-8")
    api = append_to_table(
        api,
        "`RATELIMIT_VERIFY_EMAIL` (a counter of its own)",
        [f"| `POST /api/v1/{v['path']}` | `{setting}` | `60 per minute` | client address |"],
        path="docs/api.md",
    )
    edits["docs/api.md"] = insert_before_heading(
        api, "### GET /health", render("api.md.tmpl", names, setting=setting), path="docs/api.md"
    )
    return edits


def _add_import(text: str, line: str) -> str:
    """Put an import after the module's last top-level import (ruff's isort fix orders it)."""
    lines = text.split("\n")
    last = max(i for i, current in enumerate(lines) if current.startswith(("import ", "from ")))
    if lines[last].rstrip().endswith("("):
        while not lines[last].startswith(")"):
            last += 1
    return "\n".join([*lines[: last + 1], line, *lines[last + 1 :]])


def apply(root: Path, planned: Plan) -> list[Path]:
    """Write the plan; returns the paths written."""
    written = []
    for relative, text in planned.files():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
