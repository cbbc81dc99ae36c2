"""The synthesized stack as the infra tests see it (built once per session in conftest)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from infra.stack import OrdersApiStack


@dataclass
class Synthesis:
    outdir: Path
    template_path: Path
    template: dict[str, Any]
    assertions: Template
    stack: OrdersApiStack
    nag_violations: list[dict[str, Any]]
    asset_directory: Path
    cfn_lint: subprocess.Popen[bytes]
    checkov: subprocess.Popen[bytes]
    cfn_lint_log: Path
    checkov_log: Path

    def cfn_lint_findings(self) -> list[dict[str, Any]]:
        """cfn-lint's findings; it writes a JSON list, `[]` when it finds nothing, so anything
        else (a crash, no output) is an error here rather than a clean template."""
        findings = _finished(self.cfn_lint, self.cfn_lint_log)
        if not isinstance(findings, list):
            raise AssertionError(
                f"cfn-lint wrote no findings list (exit {self.cfn_lint.returncode}): {findings!r}"
            )
        return findings

    def checkov_report(self) -> dict[str, Any]:
        report = _finished(self.checkov, self.checkov_log)
        return dict(report)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def only(self, resource_type: str) -> dict[str, Any]:
        (resource,) = self.resources(resource_type).values()
        return resource

    def logical_id(self, construct: Any) -> str:
        return str(self.stack.resolve(construct.node.default_child.logical_id))


def _finished(process: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> Any:
    """Wait for a background scanner and parse the JSON it wrote."""
    process.wait(timeout=timeout)
    return json.loads(log.read_text() or "null")
