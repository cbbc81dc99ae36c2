"""One synthesis per test session, shared by every infra test.

The app is synthesized once (jsii start-up dominates), into a session temp directory; cfn-lint
and checkov are started on the template right away, in the background, and the tests that
read their verdicts wait for them. Every process started here is ended at session end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# infra/ is the CDK app, not an installed package; synthesized.py is this folder's helper.
for _path in (ROOT, Path(__file__).parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from aws_cdk.assertions import Template  # noqa: E402
from synthesized import Synthesis  # noqa: E402

from infra.app import build_app  # noqa: E402


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesis]:
    work = tmp_path_factory.mktemp("infra")
    outdir = work / "cdk.out"
    app, stack = build_app(outdir=str(outdir), asset_directory=work / "asset")
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag refused: the report says why, a test reads it
        if "ValidationFailed" not in str(exc):
            raise
    report = json.loads((outdir / "validation-report.json").read_text())
    violations = [v for plugin in report["pluginReports"] for v in plugin["violations"]]
    template_path = outdir / f"{stack.stack_name}.template.json"
    template = json.loads(template_path.read_text())
    lint_log = (work / "cfn-lint.json").open("wb")
    checkov_log = (work / "checkov.json").open("wb")
    cfn_lint = subprocess.Popen(
        [str(VENV_BIN / "cfn-lint"), "--format", "json", str(template_path)],
        stdout=lint_log,
        stderr=subprocess.DEVNULL,
    )
    checkov = subprocess.Popen(
        [
            str(VENV_BIN / "checkov"),
            "--file",
            str(template_path),
            "--framework",
            "cloudformation",
            "--skip-download",  # no calls to the vendor's platform: offline and private
            "--output",
            "json",
        ],
        stdout=checkov_log,
        stderr=subprocess.DEVNULL,
        # Otherwise checkov asks pypi.org for a newer version of itself when it starts.
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
    )
    try:
        yield Synthesis(
            outdir=outdir,
            template_path=template_path,
            template=template,
            assertions=Template.from_json(template),
            stack=stack,
            nag_violations=violations,
            asset_directory=work / "asset",
            cfn_lint=cfn_lint,
            checkov=checkov,
            cfn_lint_log=work / "cfn-lint.json",
            checkov_log=work / "checkov.json",
        )
    finally:
        for process in (cfn_lint, checkov):
            if process.poll() is None:
                process.kill()
            process.wait()
        lint_log.close()
        checkov_log.close()
