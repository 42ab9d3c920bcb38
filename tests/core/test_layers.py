"""The package layout is the architecture: core ← cogs, adapters ← app. An import that
points the wrong way (even under TYPE_CHECKING or inside a function) fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each layer, and the packages it must never import.
FORBIDDEN = {
    "storage": ("bot.app", "cogs", "adapters"),
    "bot": ("bot.app", "cogs", "adapters"),
    "cogs": ("bot.app", "adapters"),
    "adapters": ("bot.app", "cogs"),
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_files(layer: str) -> list[Path]:
    files = sorted((ROOT / layer).rglob("*.py"))
    if layer == "bot":  # the application layer and the entry point live inside, apart
        application = {"app", "__main__.py"}
        files = [f for f in files if f.relative_to(ROOT / "bot").parts[0] not in application]
    return files


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_the_one_above_it(layer: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in layer_files(layer)
        for name in sorted(imported_modules(path))
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer])
    ]
    assert wrong == []


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import cogs.x\n")
    assert "cogs.x" in imported_modules(module)
