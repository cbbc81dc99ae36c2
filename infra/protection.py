"""The web ACL in front of the API stage: exactly what `render_web_acl` makes of the shared
WAF policy, associated with the stage, logging to a retained-for-N-days log group."""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnResource, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import PROJECT_TAGS, InfraConfig
from orders_api.deployment.waf_policy import (
    DEFAULT_POLICY,
    WafPolicy,
    render_ip_sets,
    render_web_acl,
)

REDACTED_HEADERS = ("authorization",)
"""Never written to the WAF logs: a bearer token is a credential."""


class WebAcl(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: InfraConfig,
        stage: apigateway.Stage,
        policy: WafPolicy = DEFAULT_POLICY,
    ) -> None:
        super().__init__(scope, construct_id)
        ip_set_arns = {}
        for list_name, properties in render_ip_sets(
            policy, name_prefix=config.web_acl_name
        ).items():
            ip_set = CfnResource(
                self, f"IpSet{list_name}", type="AWS::WAFv2::IPSet", properties=properties
            )
            ip_set_arns[list_name] = ip_set.get_att("Arn")
        self.properties = render_web_acl(
            policy,
            name=config.web_acl_name,
            metric_prefix=config.stack_name,
            ip_set_arns=ip_set_arns,
        )
        # A CfnResource is not reached by Tags.of(stack): the project's tags are named here.
        tags = [{"Key": key, "Value": value} for key, value in PROJECT_TAGS.items()]
        self.web_acl = CfnResource(
            self,
            "WebAcl",
            type="AWS::WAFv2::WebACL",
            properties={**self.properties, "Tags": tags},
        )
        self.web_acl_arn = self.web_acl.get_att("Arn").to_string()
        self.association = wafv2.CfnWebACLAssociation(
            self, "StageAssociation", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl_arn
        )
        # AWS WAF requires this prefix for a log group it writes to.
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"aws-waf-logs-{config.stack_name}",
            retention=config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        log_group_arn = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=self.log_group.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl_arn,
            log_destination_configs=[log_group_arn],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                for header in REDACTED_HEADERS
            ],
        )
        self.logging.node.add_dependency(self.log_group)
