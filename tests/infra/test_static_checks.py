"""cdk-nag, cfn-lint and checkov on the synthesized template: no unexplained finding."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from synthesized import Synthesis

from infra.compliance import acknowledge_nag, skip_checkov


def test_cdk_nag_aws_solutions_reports_no_unacknowledged_error(synthesis: Synthesis) -> None:
    unacknowledged = [
        (violation["ruleName"], construct["constructPath"])
        for violation in synthesis.nag_violations
        for construct in violation["violatingConstructs"]
    ]
    assert unacknowledged == []


def test_an_acknowledgment_or_skip_without_a_real_reason_is_refused() -> None:
    stack = Stack(App(), "Scratch")
    with pytest.raises(ValueError, match="real reason"):
        acknowledge_nag(stack, "AwsSolutions-IAM5", "ok")
    with pytest.raises(ValueError, match="real reason"):
        skip_checkov(stack, "CKV_AWS_1", "   ")


def test_cfn_lint_reports_no_error(synthesis: Synthesis) -> None:
    errors = [
        (finding["Rule"]["Id"], finding["Message"])
        for finding in synthesis.cfn_lint_findings()
        if finding["Level"] == "Error"
    ]
    assert errors == []


def test_checkov_reports_no_failed_check(synthesis: Synthesis) -> None:
    report = synthesis.checkov_report()
    failed = [
        (check["check_id"], check["resource"]) for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["passed"] > 0, "checkov must have scanned the template"


def test_every_checkov_skip_has_a_reason_and_silences_a_real_finding(
    synthesis: Synthesis,
) -> None:
    declared = {
        (f"{resource['Type']}.{logical_id}", skip["id"]): skip["comment"]
        for logical_id, resource in synthesis.template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    skipped = {
        (check["resource"], check["check_id"]): check["check_result"].get("suppress_comment", "")
        for check in synthesis.checkov_report()["results"]["skipped_checks"]
    }
    assert set(skipped) == set(declared), "a skip that silences nothing is stale"
    assert all(len(reason) >= 20 for reason in skipped.values())
