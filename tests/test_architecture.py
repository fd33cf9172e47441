"""The layers' import rules, read from the source (every ``import`` statement, also those inside functions
and ``TYPE_CHECKING`` blocks):

* ``core`` never imports the GUI (``app``, ``PySide6``, ``shiboken6``);
* the model-using layers (``core.embedding``, ``core.library``, ``core.storage``, ``core.modelstore``) never
  import ``core.training``: models are read from the model store;
* ``core.training`` never reads a library (``core.storage``, ``core.library``, SQLAlchemy): it gets its data as
  arguments.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (importing packages, forbidden imported prefixes, why)
RULES: list[tuple[tuple[str, ...], tuple[str, ...], str]] = [
    (("core",), ("app", "PySide6", "shiboken6"), "core is GUI-free"),
    (("core.embedding", "core.library", "core.storage", "core.modelstore"), ("core.training",),
     "models come from core.modelstore, training data come as arguments"),
    (("core.training",), ("core.storage", "core.library", "sqlalchemy"),
     "training gets its data as arguments, never by querying a library"),
]


def module_name(root: Path, file: Path) -> str:
    parts = list(file.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path, file: Path) -> Iterator[tuple[int, str]]:
    """``(line, imported module)`` for every import statement of ``file`` (relative ones resolved)."""
    module = module_name(root, file)
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), str(file))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from core import training` imports core.training
                yield node.lineno, f"{target}.{alias.name}"


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(root: Path, rules: list[tuple[tuple[str, ...], tuple[str, ...], str]] = RULES) -> list[str]:
    """``file:line: importer -> imported (why)`` for every import that breaks a rule, over ``root/core``."""
    found = []
    for file in sorted((root / "core").rglob("*.py")):
        module = module_name(root, file)
        for importers, forbidden, why in rules:
            if not any(_under(module, p) for p in importers):
                continue
            hits: dict[int, str] = {}  # one report per import statement: the first forbidden name
            for line, target in imports(root, file):
                if line not in hits and any(_under(target, f) for f in forbidden):
                    hits[line] = target
            found += [f"{file.relative_to(root)}:{line}: {module} -> {target} ({why})" for line, target in hits.items()]
    return sorted(found)


def test_no_forbidden_import_arrows() -> None:
    assert violations(REPO) == []


def test_the_scan_finds_lazy_relative_and_type_only_imports(tmp_path: Path) -> None:
    """The checker itself: arrows hidden in functions, relative imports and TYPE_CHECKING blocks are found."""
    pkg = tmp_path / "core"
    for sub in ("library", "training", "clustering"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "library" / "lazy.py").write_text("def f():\n    from core.training.personal import project\n")
    (pkg / "library" / "relative.py").write_text("from ..training import personal\n")
    (pkg / "library" / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import core.training.trainer\n")
    (pkg / "library" / "fine.py").write_text("from core.clustering import knn\nimport numpy\n")
    (pkg / "clustering" / "gui.py").write_text("def show():\n    from PySide6.QtWidgets import QWidget\n")
    (pkg / "training" / "ok.py").write_text("from ..clustering import knn\n")  # training -> clustering is fine
    (pkg / "training" / "query.py").write_text("def f(s):\n    from sqlalchemy import select\n")
    found = violations(tmp_path)
    assert [v.split(":")[0] for v in found] == [
        "core/clustering/gui.py", "core/library/lazy.py", "core/library/relative.py", "core/library/typed.py",
        "core/training/query.py"]
    assert "core.library.relative -> core.training (" in found[2]
