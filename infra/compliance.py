"""Acknowledged findings of cdk-nag and checkov, each with its reason beside the resource.

cdk-nag 3 runs as a CDK policy-validation plugin: `Validations.of(...).acknowledge` records a
rule as accepted for a construct and its children. checkov reads skips from a resource's
CloudFormation `Metadata.checkov.skip`, each with a comment. Both refuse an empty reason here.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct


def acknowledge_nag(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept a cdk-nag finding (e.g. `AwsSolutions-COG3`) on `scope` and everything below it."""
    _require_reason(rule_id, reason)
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def skip_checkov(scope: IConstruct, check_id: str, reason: str) -> None:
    """Skip a checkov check on the CloudFormation resource of `scope`, with the reason."""
    _require_reason(check_id, reason)
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to annotate")
    existing = resource.get_metadata("checkov") or {}
    skips = [skip for skip in existing.get("skip", []) if skip["id"] != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", {"skip": skips})


def _require_reason(finding: str, reason: str) -> None:
    if len(reason.strip()) < 20:
        raise ValueError(f"{finding}: an acknowledgment needs a real reason, not {reason!r}")
