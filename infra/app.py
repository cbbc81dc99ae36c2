"""The CDK app: `python -m infra.app` (what cdk.json runs) synthesizes into cdk.out/.

cdk-nag's AwsSolutions pack runs as a policy-validation plugin: an unacknowledged finding
fails synthesis, so `make synth`, `make deploy` and the tests all refuse it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import InfraConfig
from infra.stack import OrdersApiStack


def build_app(
    *, outdir: str | None = None, asset_directory: Path | None = None
) -> tuple[App, OrdersApiStack]:
    """The app with its one stack and cdk-nag attached, not yet synthesized."""
    app = App(outdir=outdir)
    config = InfraConfig.from_context(
        app.node.try_get_context, account=os.environ.get("CDK_DEFAULT_ACCOUNT")
    )
    stack = OrdersApiStack(app, config=config, asset_directory=asset_directory)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def synthesis_summary(template_path: Path, stack_name: str) -> str:
    """What `make synth` tells a person: where the template is, what it holds, what is next."""
    template = json.loads(template_path.read_text(encoding="utf-8"))
    kinds = Counter(resource["Type"] for resource in template.get("Resources", {}).values())
    largest = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common(4))
    return "\n".join(
        [
            f"Synthesized stack {stack_name}: {template_path}",
            f"  {sum(kinds.values())} resources ({largest}, ...), "
            f"{len(template.get('Outputs', {}))} outputs",
            "  cdk-nag AwsSolutions: no unacknowledged findings (any would have failed synthesis)",
            'Next: make deploy ARGS="-c alarmEmail=you@example.com" (needs AWS credentials; '
            "see docs/deploy.md)",
        ]
    )


def main() -> None:
    # The CDK CLI names the output directory; `make synth` runs without it.
    app, stack = build_app(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
    assembly = app.synth()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    print(synthesis_summary(Path(artifact.template_full_path), artifact.stack_name))


if __name__ == "__main__":
    main()
