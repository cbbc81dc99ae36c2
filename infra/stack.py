"""The Orders API stack, composed in build order: table, functions, user pool, API and
authorizer, web ACL and its association, the alarms and budget, the order events (bus, pipes,
e-mail), then the operators group."""

from __future__ import annotations

import tempfile
from pathlib import Path

from aws_cdk import Aws, CfnOutput, Environment, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.access import OperatorsGroup
from infra.api import OrdersRestApi
from infra.asset import stage_runtime_package
from infra.auth import UserDirectory
from infra.bootstrap import role_boundary_arn_token
from infra.compliance import skip_checkov
from infra.config import PROJECT_TAGS, InfraConfig
from infra.events import OrderEvents
from infra.functions import OrderFunctions
from infra.monitoring import MonitoredResources, Monitoring
from infra.protection import WebAcl
from infra.storage import OrdersTable
from orders_api.deployment.settings import OUTPUT_KEYS


class OrdersApiStack(Stack):
    def __init__(
        self,
        scope: Construct,
        *,
        config: InfraConfig,
        asset_directory: Path | None = None,
    ) -> None:
        super().__init__(
            scope,
            config.stack_name,
            stack_name=config.stack_name,
            description="Orders API: WAF, API Gateway (REST, Cognito), Lambda, DynamoDB, "
            "EventBridge",
            env=Environment(account=config.account, region=config.region),
            termination_protection=False,
        )
        for key, value in PROJECT_TAGS.items():
            Tags.of(self).add(key, value)
        # Every role carries the boundary `make bootstrap` creates: the execution role may only
        # create or change roles that do (infra/bootstrap.py), so it must exist before deploy.
        iam.PermissionsBoundary.of(self).apply(
            iam.ManagedPolicy.from_managed_policy_arn(
                self, "RoleBoundary", role_boundary_arn_token(config.stack_name)
            )
        )
        staged = stage_runtime_package(
            asset_directory or Path(tempfile.mkdtemp(prefix="orders-api-asset-"))
        )
        storage = OrdersTable(
            self, "Storage", settings=config.settings.storage, index_count=config.table_indexes
        )
        functions = OrderFunctions(
            self,
            "Functions",
            config=config,
            table=storage.table,
            code=lambda_.Code.from_asset(str(staged)),
        )
        auth = UserDirectory(self, "Auth", settings=config.settings.auth)
        api = OrdersRestApi(
            self,
            "Api",
            config=config,
            user_pool=auth.user_pool,
            functions=functions.route_functions(),
        )
        protection = WebAcl(self, "Protection", config=config, stage=api.stage)
        monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            resources=MonitoredResources(
                api_name=config.stack_name,
                stage=config.settings.stage,
                function_names={
                    name: function.function_name for name, function in functions.functions.items()
                },
                table_name=storage.table.table_name,
                web_acl_name=config.web_acl_name,
            ),
        )
        order_events = OrderEvents(
            self,
            "Events",
            config=config,
            table=storage.table,
            enrichment=functions.functions["events"],
            key=monitoring.key,
            alarm_topic=monitoring.topic,
            alarm_name_prefix=monitoring.alarm_name_prefix,
        )
        access = OperatorsGroup(
            self,
            "Access",
            config=config,
            table=storage.table,
            log_groups=[
                *functions.log_groups.values(),
                api.access_logs,
                api.execution_logs,
                protection.log_group,
            ],
            user_pool_arn=auth.user_pool.user_pool_arn,
            alarm_name_prefix=monitoring.alarm_name_prefix,
            dashboard_name=monitoring.dashboard_name,
            web_acl_arn=protection.web_acl_arn,
            fulfil_function=functions.functions["fulfil"],
        )
        for log_group in self.node.find_all():
            if isinstance(log_group, logs.CfnLogGroup):
                skip_checkov(
                    log_group,
                    "CKV_AWS_158",
                    "CloudWatch Logs encrypts every log group at rest already; a customer "
                    "key per group costs money, and no token or address is ever logged.",
                )
        self.table = storage.table
        self.functions = functions
        self.auth = auth
        self.api = api
        self.protection = protection
        self.monitoring = monitoring
        self.events = order_events
        self.access = access
        outputs = {
            "ApiUrl": api.api.url,
            "UserPoolId": auth.user_pool.user_pool_id,
            "UserPoolClientId": auth.client.user_pool_client_id,
            "Region": Aws.REGION,
            "TableName": storage.table.table_name,
            "WebAclArn": protection.web_acl_arn,
            "OperatorsGroupName": access.group.group_name,
            "FulfilFunctionName": functions.functions["fulfil"].function_name,
            "EventBusName": order_events.bus.event_bus_name,
        }
        if tuple(outputs) != OUTPUT_KEYS:
            raise ValueError(f"outputs {tuple(outputs)} are not the local twin's {OUTPUT_KEYS}")
        # RestApi adds its own endpoint output; ApiUrl is the one both worlds share.
        api.api.node.try_remove_child("Endpoint")
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)
