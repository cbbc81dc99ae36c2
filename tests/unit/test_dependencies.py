"""`make run` installs the package without its extras: everything the package imports at run
time must come from its own dependencies (directly or through them), never from the dev or
infra extras that only `make test` installs. `cli/waf.py` once imported httpx, a dev
dependency, and `make run` on a fresh machine stopped with ModuleNotFoundError."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from tests.paths import ROOT

SOURCE = ROOT / "src" / "orders_api"
_NAME = re.compile(r"^[A-Za-z0-9._-]+")


def _distribution_name(requirement: str) -> str:
    match = _NAME.match(requirement.strip())
    assert match, requirement
    return match.group().lower().replace("_", "-")


def _runtime_closure() -> set[str]:
    """The package's own dependencies and everything they require (extras left out)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pending = [_distribution_name(requirement) for requirement in project["dependencies"]]
    closure: set[str] = set()
    while pending:
        name = pending.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" in requirement:
                continue  # an extra of that package, not installed by a plain install
            pending.append(_distribution_name(requirement))
    return closure


def _runtime_imports() -> set[str]:
    """Top-level modules the package imports, leaving out `if TYPE_CHECKING:` blocks."""
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        skipped = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for node in ast.walk(block)
        }
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "orders_api"}


def test_every_module_the_package_imports_comes_from_its_own_dependencies() -> None:
    providers = metadata.packages_distributions()
    closure = _runtime_closure()
    missing = {
        module: providers.get(module, ["?"])
        for module in sorted(_runtime_imports())
        if not {_distribution_name(name) for name in providers.get(module, [])} & closure
    }
    assert missing == {}, "imported at run time but only installed by an extra"


def test_the_check_sees_the_imports_it_guards() -> None:
    imports = _runtime_imports()
    assert {"httpx", "uvicorn", "jsonschema_rs", "orjson", "aws_lambda_powertools"} <= imports
    assert "mypy_boto3_dynamodb" not in imports, "type-checking imports are left out"
