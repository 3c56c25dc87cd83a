"""The provider boundary: only studio/providers/ knows Google.

Every product module of studio/ and billing/ outside studio/providers/ (tests aside: the provider
contract tests exercise the internals on purpose) may import the providers package and use what
its `__all__` names, and nothing else of it: no `google.*`, no `studio.providers.<submodule>`, no
`providers.<name>` that the package does not export. Read from the source (the AST), so a lazy
import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from studio import providers

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "studio.providers"
PUBLIC = frozenset(providers.__all__)


def product_modules() -> list[Path]:
    modules = []
    for package in ("studio", "billing"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or parts[:2] == ("studio", "providers"):
                continue
            modules.append(path)
    return modules


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    """The absolute module an ImportFrom names, relative imports resolved against `name`."""
    if not node.level:
        return node.module or ""
    base = name.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def crossings(source: str, name: str, *, is_package: bool = False) -> list[str]:
    """Every place `source` (the module `name`) reaches past the providers package's surface."""
    tree = ast.parse(source)
    found: list[str] = []
    package_aliases: set[str] = set()  # local names bound to studio.providers itself

    def check_module(module: str, line: int) -> None:
        if module == "google" or module.startswith("google."):
            found.append(f"line {line}: imports {module}")
        elif module.startswith(PACKAGE + "."):
            found.append(f"line {line}: imports {module} (a providers submodule)")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check_module(alias.name, node.lineno)
                if alias.name == PACKAGE and alias.asname:
                    package_aliases.add(alias.asname)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, name, is_package)
            check_module(module, node.lineno)
            for alias in node.names:
                if module == PACKAGE and alias.name not in PUBLIC:
                    found.append(f"line {node.lineno}: imports {PACKAGE}.{alias.name} (not in its __all__)")
                if f"{module}.{alias.name}" == PACKAGE:
                    package_aliases.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in package_aliases
            and node.attr not in PUBLIC
        ):
            found.append(f"line {node.lineno}: uses {node.value.id}.{node.attr} (not in its __all__)")
    return found


def test_no_product_module_outside_the_providers_package_reaches_into_it():
    modules = product_modules()
    assert len(modules) > 30  # the walk found the app (a moved tree must not make this pass empty)

    report = {
        str(path.relative_to(ROOT)): problems
        for path in modules
        if (problems := crossings(path.read_text(), module_name(path), is_package=path.name == "__init__.py"))
    }

    assert report == {}


def test_everything_the_package_exports_exists():
    missing = [name for name in PUBLIC if not hasattr(providers, name)]

    assert missing == []


@pytest.mark.parametrize(
    "source",
    [
        "import google.auth",
        "from google.cloud import storage",
        "def f():\n    from google.oauth2 import service_account",
        "from studio.providers import gcs",
        "from studio.providers.catalog import resolve",
        "import studio.providers.resilience",
        "from .providers import catalog",
        "from . import providers\nproviders.gcs.download('gs://b/o')",
        "from studio import providers\nproviders.resilience.admit",
        "import studio.providers as p\np._adapter_for",
    ],
)
def test_the_check_sees_each_way_across(source):
    assert crossings(source, "studio.somewhere") != []


@pytest.mark.parametrize(
    "source",
    [
        "from studio import providers\nproviders.generate_images",
        "from studio.providers import ProviderError, resolve",
        "from .providers import signed_storage_url",
        "import googleapiclient_lookalike",
        "from studio.providersx import y",
    ],
)
def test_the_public_surface_passes(source):
    assert crossings(source, "studio.somewhere") == []
