"""What the running twin tells its clients: `outputs.json` (the deployed stack's output keys,
plus `IdpEndpoint`) and the summary printed on the terminal."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import IO

from orders_api.twin.docs_page import DOCS_PATH
from orders_api.twin.options import DEFAULT_DATA_DIR
from orders_api.twin.server import READY_PATH

OUTPUTS_FILE = "outputs.json"


def write_outputs(data_dir: Path, outputs: dict[str, str | None]) -> Path:
    """Atomically, so that a reader never sees half a file."""
    path = data_dir / OUTPUTS_FILE
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(outputs, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def print_summary(
    stream: IO[str], outputs: dict[str, str | None], path: Path, data_dir: Path
) -> None:
    width = max(map(len, outputs))
    lines = ["Orders API local twin is running (Ctrl-C stops it).", ""]
    lines += [
        f"  {key:<{width}}  {value if value is not None else '-'}" for key, value in outputs.items()
    ]
    lines += ["", f"  outputs: {path}   readiness: {_origin(outputs['ApiUrl'])}{READY_PATH}"]
    lines.append(f"  docs (Swagger UI, sign in there): {_origin(outputs['ApiUrl'])}{DOCS_PATH}")
    lines += ["", "Try it, from another terminal in this directory:"]
    activate = activation_hint()
    if activate is not None:
        lines.append(f"  source {activate}   # puts orders-api on the PATH")
    if data_dir != DEFAULT_DATA_DIR:
        lines.append(f"  export ORDERS_API_OUTPUTS={path}")
    lines += [
        "  orders-api users create you@example.com && orders-api login you@example.com",
        "  orders-api orders place --item MUG-01=2 && orders-api orders get ORDER_ID",
    ]
    print("\n".join(lines), file=stream, flush=True)


def activation_hint() -> Path | None:
    """The virtualenv's activate script, when `orders-api` is not on the PATH (as under
    `make run`, which calls .venv/bin/orders-api directly); None when it is."""
    if shutil.which("orders-api") is not None:
        return None
    activate = Path(sys.executable).parent / "activate"
    if not activate.is_file():
        return None
    try:
        return activate.relative_to(Path.cwd())
    except ValueError:
        return activate


def _origin(api_url: str | None) -> str:
    if not api_url:
        return ""
    scheme, _, rest = api_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
