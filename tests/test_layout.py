"""The core packages never depend on the UI."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("textual", "semfind.app", "app")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0 and node.module:
            names.add("." * node.level + node.module)
    return names


def test_core_sources_do_not_import_ui() -> None:
    offenders = []
    for package in ("engine", "indexer"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in _imports(path):
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
                if name.startswith("..app") or name.startswith("...app"):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_importing_every_core_module_loads_no_ui() -> None:
    import semfind.engine
    import semfind.indexer

    modules = [
        info.name
        for pkg in (semfind.engine, semfind.indexer)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + ".")
    ]
    assert len(modules) > 60
    assert "semfind.engine.store.store" in modules and "semfind.indexer.daemon.daemon" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = [m for m in sys.modules\n"
        "       if m == 'textual' or m.startswith(('textual.', 'semfind.app'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_installed_names_are_namespaced() -> None:
    import semfind.app
    import semfind.assets
    import semfind.engine
    import semfind.indexer

    for module in (semfind.app, semfind.assets, semfind.engine, semfind.indexer):
        assert module.__name__.startswith("semfind.")


def test_distribution_installs_only_semfind_packages() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    top = ["semfind.app", "semfind.engine", "semfind.indexer", "semfind.assets"]
    assert set(config["package-dir"]) == set(top)
    assert set(top) <= set(config["packages"])
    for package in config["packages"]:
        assert package.startswith("semfind."), package
        parent = next(t for t in top if package == t or package.startswith(t + "."))
        folder = ROOT / config["package-dir"][parent] / package[len(parent) + 1 :].replace(".", "/")
        assert (folder / "__init__.py").exists(), f"{package} has no folder at {folder}"
    on_disk = {
        f"semfind.{init.parent.relative_to(ROOT).as_posix().replace('/', '.')}"
        for name in ("app", "engine", "indexer", "assets")
        for init in (ROOT / name).rglob("__init__.py")
    }
    assert on_disk <= set(config["packages"]), "every subpackage must be listed to be installed"
