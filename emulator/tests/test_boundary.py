"""The emulator is a stand-in for Google, Pollinations and GCS, not part of the product (issue 12,
point 10): it imports nothing of the app and no Django, so it can run, be read and be tested on its
own. Its settings come in as arguments to start_emulator()."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "emulator"


def app_packages() -> set[str]:
    """The product's top-level packages: every package in the repository root but the emulator
    (so a package added later is covered too), and manage.py."""
    return {init.parent.name for init in ROOT.glob("*/__init__.py")} - {PACKAGE.name} | {"manage"}


FORBIDDEN = app_packages() | {"django"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in a module's source, anywhere in it (a lazy
    import inside a function counts); a relative import is resolved against `module`. One that
    climbs above the top-level package comes back as '..' so the caller can refuse it."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if not node.level:
                yield node.lineno, node.module or ""
                continue
            climb = node.level - 1
            if climb >= len(package):
                yield node.lineno, ".."
                continue
            base = package[: len(package) - climb]
            yield node.lineno, ".".join(base + ([node.module] if node.module else []))


def app_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """The imports in `source` that reach the app, Django or out of the package."""
    return [
        f"line {line}: {name}"
        for line, name in imports_in(source, module, is_package=is_package)
        if name == ".." or name.split(".")[0] in FORBIDDEN
    ]


def test_the_app_packages_are_found():
    assert {"studio", "billing", "mediastudio", "manage"} <= FORBIDDEN
    assert "emulator" not in FORBIDDEN


def test_no_emulator_module_imports_the_app_or_django():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 15  # the walk found the package
    found = {}
    for path in modules:
        bad = app_imports(path.read_text(), module_name(path), is_package=path.name == "__init__.py")
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    assert not found, f"the emulator must not import the app or Django: {found}"


def test_the_check_sees_every_way_of_importing_the_app():
    """The check above can fail: each of these is caught, and the emulator's own imports are not."""
    caught = [
        "from studio.providers import catalog",
        "import billing.services",
        "import os, mediastudio.settings",
        "from django.conf import settings",
        "import manage",
        "def later():\n    from studio import models\n",
        "from ... import studio",  # from emulator/server.py, above the repository root
    ]
    for source in caught:
        assert app_imports(source, "emulator.server"), source
    allowed = ["from . import catalog", "from .faults import Fault", "import json", "from PIL import Image"]
    for source in allowed:
        assert not app_imports(source, "emulator.server"), source
    # From the package's __init__, `..` is the repository root: outside the package.
    assert app_imports("from .. import studio", "emulator", is_package=True)
    assert not app_imports("from .runner import Emulator", "emulator", is_package=True)
    assert not app_imports("from ..helpers import png", "emulator.tests.test_veo")


def test_the_emulator_starts_in_a_python_without_django_settings():
    """Imported and started in a fresh interpreter with no DJANGO_SETTINGS_MODULE, it loads no module
    of the app or of Django (a transitive import the AST walk cannot see would show here)."""
    script = (
        "import sys, pkgutil, importlib, emulator\n"
        "for info in pkgutil.walk_packages(emulator.__path__, 'emulator.'):\n"
        "    if '.tests' not in info.name: importlib.import_module(info.name)\n"
        "emu = emulator.start_emulator(port=0, gcs_port=0)\n"
        "emu.reset(); emu.stop()\n"
        "print(sorted({name.split('.')[0] for name in sys.modules}))\n"
    )
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = set(ast.literal_eval(result.stdout.strip().splitlines()[-1]))
    assert "emulator" in loaded and "PIL" in loaded
    assert not loaded & FORBIDDEN, loaded & FORBIDDEN
