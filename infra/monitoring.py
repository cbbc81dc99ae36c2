"""Alarms, the dashboard and the monthly cost budget, all notifying one encrypted SNS topic.

The alarms are exactly `orders_api.deployment.monitoring.ALARMS` (the cost model prices the
same list); this module only maps each alarm's `resource` to the metric dimensions of the
deployed construct. The topic is encrypted with a customer-managed key because CloudWatch
alarms and AWS Budgets cannot publish to a topic under the AWS-managed `aws/sns` key. The same
key encrypts the order e-mail topic and the events' dead-letter queue (`infra/events.py`),
which adds EventBridge, for this stack's bus, to the services that may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import SERVICE_NAME, InfraConfig
from orders_api.deployment.monitoring import ALARMS, DASHBOARDS, Alarm, Resource

BUDGET_NOTIFICATIONS: tuple[tuple[str, float], ...] = (("FORECASTED", 80.0), ("ACTUAL", 100.0))
"""(notification type, percent of the monthly budget) pairs that notify the topic."""

_OPERATOR = cloudwatch.ComparisonOperator
_COMPARISONS = {
    "GreaterThanOrEqualToThreshold": _OPERATOR.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    "GreaterThanThreshold": _OPERATOR.GREATER_THAN_THRESHOLD,
    "LessThanThreshold": _OPERATOR.LESS_THAN_THRESHOLD,
    "LessThanOrEqualToThreshold": _OPERATOR.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
}
_MISSING_DATA = {
    "notBreaching": cloudwatch.TreatMissingData.NOT_BREACHING,
    "breaching": cloudwatch.TreatMissingData.BREACHING,
    "ignore": cloudwatch.TreatMissingData.IGNORE,
    "missing": cloudwatch.TreatMissingData.MISSING,
}


@dataclass(frozen=True, slots=True)
class MonitoredResources:
    """The deployed names that become each alarm resource's metric dimensions."""

    api_name: str
    stage: str
    function_names: Mapping[str, str]
    """Route function ("create", "read") -> deployed function name."""
    table_name: str
    web_acl_name: str

    def dimensions(self, resource: Resource, region: str) -> dict[str, str]:
        if resource == "api":
            return {"ApiName": self.api_name, "Stage": self.stage}
        if resource in ("create-function", "read-function"):
            return {"FunctionName": self.function_names[resource.removesuffix("-function")]}
        if resource == "table":
            return {"TableName": self.table_name}
        if resource == "web-acl":
            return {"WebACL": self.web_acl_name, "Region": region, "Rule": "ALL"}
        return {"service": SERVICE_NAME}


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: InfraConfig,
        resources: MonitoredResources,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.alarm_name_prefix = f"{config.stack_name}-"
        self.key = kms.Key(
            self,
            "TopicKey",
            description=f"{config.stack_name} alarm topic: CloudWatch and Budgets may publish",
            enable_key_rotation=True,
            pending_window=Duration.days(7),
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Each service may use the key for this account's own alarms and budgets only (the
        # confused-deputy conditions AWS recommends for service principals).
        publishers = {
            "cloudwatch.amazonaws.com": stack.format_arn(
                service="cloudwatch",
                resource="alarm",
                resource_name="*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            ),
            "budgets.amazonaws.com": f"arn:{Aws.PARTITION}:budgets::{Aws.ACCOUNT_ID}:*",
        }
        for service, source_arn in publishers.items():
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"Publish{service.split('.')[0].capitalize()}",
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                        "ArnLike": {"aws:SourceArn": source_arn},
                    },
                )
            )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{config.stack_name} alarms and budget",
            master_key=self.key,
            enforce_ssl=True,
        )
        # The stack's topic policy replaces SNS's default one (which let the account's own
        # services publish), so each publisher is allowed here, for this account only.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name=f"{self.alarm_name_prefix}*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetsPublish",
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        email = config.settings.observability.alarm_email
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        action = cloudwatch_actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for spec in ALARMS:
            alarm = self._alarm(spec, resources, stack.region)
            alarm.add_alarm_action(action)
            self.alarms[spec.name] = alarm
        (self.dashboard_name,) = (f"{name}-{stack.region}" for name in DASHBOARDS)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.dashboard_name)
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=list(self.alarms.values()), width=24
            )
        )
        self.dashboard.add_widgets(
            *(
                cloudwatch.GraphWidget(
                    title=spec.description,
                    left=[self._metric(spec, resources, stack.region)],
                    width=8,
                )
                for spec in ALARMS
            )
        )
        self.budget = budgets.CfnBudget(
            self,
            "MonthlyBudget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=config.budget_name,
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(
                    amount=config.settings.observability.monthly_budget_usd, unit="USD"
                ),
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=self._budget_subscribers(email),
                )
                for kind, percent in BUDGET_NOTIFICATIONS
            ],
        )
        # The topic policy that lets Budgets publish (a child of the topic) is created before
        # the budget; a reference to the topic's ARN alone orders only the topic.
        self.budget.node.add_dependency(self.topic)

    def _budget_subscribers(self, email: str | None) -> list[budgets.CfnBudget.SubscriberProperty]:
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(
                subscription_type="SNS", address=self.topic.topic_arn
            )
        ]
        if email:
            subscribers.append(
                budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=email)
            )
        return subscribers

    def _metric(self, spec: Alarm, resources: MonitoredResources, region: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=spec.namespace,
            metric_name=spec.metric_name,
            dimensions_map=resources.dimensions(spec.resource, region),
            statistic=spec.statistic,
            period=Duration.seconds(spec.period_seconds),
        )

    def _alarm(self, spec: Alarm, resources: MonitoredResources, region: str) -> cloudwatch.Alarm:
        return self._metric(spec, resources, region).create_alarm(
            self,
            f"Alarm-{spec.name}",
            alarm_name=f"{self.alarm_name_prefix}{spec.name}",
            alarm_description=spec.description,
            threshold=spec.threshold,
            comparison_operator=_COMPARISONS[spec.comparison],
            evaluation_periods=spec.evaluation_periods,
            treat_missing_data=_MISSING_DATA[spec.treat_missing_data],
        )
