"""A virtualenv holding only what the deployed functions have: the Powertools layer's
packages (Powertools and pydantic, with their dependencies) and the runtime's boto3.

Built offline from the distributions installed in the project's virtualenv (same versions
the tests use), copied file by file from their RECORD, and cached under `.venv-lambda/` keyed
by the Python version and every copied distribution's version.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LAYER = ("aws-lambda-powertools", "pydantic")
"""What the official Powertools layer provides (it is built with every extra)."""
RUNTIME = ("boto3",)
"""What the Lambda Python runtime provides."""


def closure(roots: tuple[str, ...]) -> dict[str, metadata.Distribution]:
    """The distributions `roots` need, without optional extras."""
    found: dict[str, metadata.Distribution] = {}
    pending = list(roots)
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found:
            continue
        distribution = metadata.distribution(name)
        found[name] = distribution
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return found


def lambda_like_python(cache_root: Path) -> Path:
    """The interpreter of the cached Lambda-like virtualenv, building it on first use."""
    distributions = closure(LAYER + RUNTIME)
    fingerprint = "\n".join(
        [sys.version, *sorted(f"{name}=={d.version}" for name, d in distributions.items())]
    )
    venv = cache_root / hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    python = venv / "bin" / "python"
    if python.exists():
        return python
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache_root, prefix="building-"))
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(staging)],
        check=True,
        capture_output=True,
    )
    site_packages = Path(
        sysconfig.get_path("purelib", vars={"base": str(staging), "platbase": str(staging)})
    )
    for distribution in distributions.values():
        _copy_distribution(distribution, site_packages)
    try:
        staging.rename(venv)
    except OSError:  # another session built it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return python


def _copy_distribution(distribution: metadata.Distribution, site_packages: Path) -> None:
    for file in distribution.files or []:
        if file.parts[0] == ".." or "__pycache__" in file.parts:
            continue  # console scripts live outside site-packages; caches are rebuilt
        source = Path(str(distribution.locate_file(file)))
        if source.is_file():
            target = site_packages / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
