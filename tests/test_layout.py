"""The layers: engine depends on nothing of ours, indexer on engine, app on both; engine's
rooms depend only on the rooms below them; no semfind module imports itself in a loop."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE_ROOMS = ("runtime", "store", "embed", "models", "llm", "search", "ask", "session")
"""Lowest first: a module in a room imports engine's top-level modules (errors, config,
paths), its own room and the rooms before it, never one after. Derived from the graph:
store and runtime need nothing of each other; embed runs on runtime; models resolve
embedders; llm opens the models' GGUFs; search embeds queries over the store; ask searches
and calls the LLM; session's Engine hands all of them out."""
INDEXER_ROOMS = ("extract", "segment", "", "daemon")
"""The same for indexer; "" is its top level (walk, indexing, journal, moves)."""
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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(["semfind", *(parts[:-1] if parts[-1] == "__init__" else parts)])


def _sources() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in ("app", "engine", "indexer")
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _edges(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The semfind modules `name` imports anywhere in its source: at module level, under
    `if TYPE_CHECKING:` and inside functions alike (`from pkg import module` counts as
    importing the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.update(
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            )
    return {module for module in found if module in known and module != name}


def _graph() -> dict[str, set[str]]:
    known = _sources()
    return {name: _edges(name, path, known) for name, path in known.items()}


def _room(module: str, rooms: tuple[str, ...]) -> int | None:
    """Index of the module's room in `rooms`; None for a module that is in none."""
    parts = module.split(".")
    inner = parts[2] if len(parts) > 3 else ""
    return rooms.index(inner) if inner in rooms else None


def test_packages_import_only_the_layers_below() -> None:
    allowed = {"engine": ("engine",), "indexer": ("engine", "indexer")}
    offenders = [
        f"{source} imports {target}"
        for source, targets in _graph().items()
        for target in targets
        if target.split(".")[1] not in allowed.get(source.split(".")[1], ("app", *allowed))
    ]
    assert offenders == []


def test_rooms_import_only_the_rooms_below() -> None:
    """Every import counts here, function-level and TYPE_CHECKING ones too: a type or a
    lazy call from a higher room is still a dependency on it."""
    graph = _graph()
    for package, rooms in (("engine", ENGINE_ROOMS), ("indexer", INDEXER_ROOMS)):
        on_disk = {p.name for p in (ROOT / package).iterdir() if (p / "__init__.py").exists()}
        assert on_disk == set(rooms) - {""}, f"{package}: list every room in the order"
        offenders = []
        for source, targets in graph.items():
            if not source.startswith(f"semfind.{package}."):
                continue
            mine = _room(source, rooms)
            for target in targets:
                theirs = _room(target, rooms) if target.startswith(f"semfind.{package}.") else None
                if theirs is not None and (mine is None or theirs > mine):
                    offenders.append(f"{source} imports {target}")
        assert offenders == [], package


def test_no_import_cycles() -> None:
    """No loop among semfind's modules, counting every import: at module level, under
    TYPE_CHECKING and inside functions. A function-level import that closes a loop only
    hides the cycle until the function runs, so it is held to the same rule."""
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


FRONT_ENDS = ("app", "indexer", "bench")
"""They open the index through the Engine and read it through the store's methods."""
_DB_CALLS = ("execute", "executemany", "fetchone", "fetchall", "fetchmany")


def _calls_db(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _DB_CALLS
        for n in ast.walk(node)
    )


def _front_end_sql(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        line = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if node.func.attr in _DB_CALLS:
                found.append(f"{line} calls .{node.func.attr}()")
            elif node.func.attr == "open" and isinstance(owner, ast.Name) and owner.id == "Store":
                found.append(f"{line} calls Store.open")
            elif node.func.attr == "Connection" and ast.unparse(owner) == "apsw":
                found.append(f"{line} opens an apsw.Connection")
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            found.append(f"{line} reaches for the store's .conn")
    return found


def test_front_ends_run_no_sql_of_their_own() -> None:
    offenders = [
        found
        for package in FRONT_ENDS
        for path in sorted((ROOT / package).rglob("*.py"))
        for found in _front_end_sql(path.read_text(encoding="utf-8"), str(path))
    ]
    assert offenders == []


def test_the_front_end_check_sees_sql() -> None:
    """The check above would catch each way of reaching the database."""
    source = (
        "store = Store.open(db)\nrows = store.conn.execute('SELECT 1')\n"
        "conn = apsw.Connection(str(db))\nconn.cursor().fetchall()\n"
    )
    found = [line.split(" ", 1)[1] for line in _front_end_sql(source, "probe")]
    assert sorted(found) == sorted(
        [
            "calls Store.open",
            "reaches for the store's .conn",
            "calls .execute()",
            "opens an apsw.Connection",
            "calls .fetchall()",
        ]
    )


FROZEN = ("engine/store/migrations.py",)
"""Released migrations are never edited (docs/architecture.md), positional reads and all."""


def _positional_row_reads(source: str, name: str) -> list[str]:
    """Subscripts by number of a query's result, or of a name bound to one (a cursor, a row,
    or a loop variable over either)."""
    tree = ast.parse(source)
    rows: set[str] = set()
    for node in ast.walk(tree):
        bound = isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr))
        if bound and node.value is not None and _calls_db(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            rows.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    changed = True
    while changed:  # loops over rows, and loops over those
        changed = False
        for node in ast.walk(tree):
            if isinstance(node, (ast.For, ast.comprehension)):
                over = node.iter
                if _calls_db(over) or (isinstance(over, ast.Name) and over.id in rows):
                    names = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
                    changed |= not names <= rows
                    rows |= names
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Subscript):
            continue
        index = node.slice.operand if isinstance(node.slice, ast.UnaryOp) else node.slice
        if not (isinstance(index, ast.Constant) and isinstance(index.value, int)):
            continue
        value = node.value
        if (isinstance(value, ast.Name) and value.id in rows) or (
            not isinstance(value, ast.Name) and _calls_db(value)
        ):
            found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_rows_are_read_by_column_name() -> None:
    offenders = [
        found
        for package in ("engine", "indexer", "app")
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in FROZEN
        for found in _positional_row_reads(path.read_text(encoding="utf-8"), str(path))
    ]
    assert offenders == []


def test_the_row_check_sees_positional_reads() -> None:
    source = (
        "row = conn.execute('SELECT a, b').fetchone()\nx = row[0]\n"
        "y = [r[1] for r in conn.execute('SELECT a, b')]\n"
        "z = conn.execute('SELECT a').fetchone()[0]\n"
        "rows = conn.execute('SELECT a, b')\nfor each in rows:\n    each[-1]\n"
        "editor = ['vi', '-n']\nname = editor[0]\n"
    )
    found = [line.split(": ", 1)[1] for line in _positional_row_reads(source, "probe")]
    assert sorted(found) == sorted(
        ["row[0]", "r[1]", "conn.execute('SELECT a').fetchone()[0]", "each[-1]"]
    )
