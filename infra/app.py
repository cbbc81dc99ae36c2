"""The CDK app: `python -m infra.app` (what cdk.json runs) synthesizes into cdk.out/.

cdk-nag's AwsSolutions pack runs as a policy-validation plugin: an unacknowledged finding
fails synthesis, so `make synth`, `make deploy` and the tests all refuse it.
"""

from __future__ import annotations

import os
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


def main() -> None:
    # The CDK CLI names the output directory; `make synth` runs without it.
    app, _ = build_app(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
    app.synth()


if __name__ == "__main__":
    main()
