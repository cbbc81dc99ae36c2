"""Alarms, dashboard, budget and the topic they notify."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import ArnFormat
from synthesized import Synthesis

from infra.monitoring import BUDGET_NOTIFICATIONS
from orders_api.deployment.monitoring import ALARMS, DASHBOARDS
from orders_api.deployment.settings import DEFAULT_SETTINGS


def _alarms(synthesis: Synthesis) -> dict[str, dict[str, object]]:
    return {
        alarm["Properties"]["AlarmName"]: alarm["Properties"]
        for alarm in synthesis.resources("AWS::CloudWatch::Alarm").values()
    }


def test_every_shared_alarm_is_deployed_once_and_notifies_the_topic(
    synthesis: Synthesis,
) -> None:
    topic = {"Ref": synthesis.logical_id(synthesis.stack.monitoring.topic)}
    deployed = _alarms(synthesis)
    # The shared alarms, and the event construct's delivery alarms (tests/infra/test_events.py).
    events = {
        str(synthesis.stack.resolve(alarm.node.default_child.alarm_name))  # type: ignore[union-attr]
        for alarm in synthesis.stack.events.alarms.values()
    }
    assert events == {
        "OrdersApi-order-placed-pipe-failures",
        "OrdersApi-order-status-changed-pipe-failures",
        "OrdersApi-order-mail-failures",
        "OrdersApi-undelivered-events",
    }
    assert set(deployed) == {f"OrdersApi-{alarm.name}" for alarm in ALARMS} | events
    for alarm in ALARMS:
        properties = deployed[f"OrdersApi-{alarm.name}"]
        assert properties["AlarmActions"] == [topic]
        assert properties["Namespace"] == alarm.namespace
        assert properties["MetricName"] == alarm.metric_name
        assert properties["Threshold"] == alarm.threshold
        assert properties["ComparisonOperator"] == alarm.comparison
        assert properties["Period"] == alarm.period_seconds
        assert properties["EvaluationPeriods"] == alarm.evaluation_periods
        statistic = properties.get("Statistic", properties.get("ExtendedStatistic"))
        assert statistic == alarm.statistic


def test_alarm_metrics_are_those_of_the_deployed_resources(synthesis: Synthesis) -> None:
    stack = synthesis.stack
    expected = {
        "api": [{"Name": "ApiName", "Value": "OrdersApi"}, {"Name": "Stage", "Value": "prod"}],
        "table": [{"Name": "TableName", "Value": {"Ref": synthesis.logical_id(stack.table)}}],
        "web-acl": [
            {"Name": "Region", "Value": "us-east-1"},
            {"Name": "Rule", "Value": "ALL"},
            {"Name": "WebACL", "Value": "OrdersApi-web-acl"},
        ],
        "service": [{"Name": "service", "Value": "orders-api"}],
    }
    for name, function in stack.functions.functions.items():
        expected[f"{name}-function"] = [
            {"Name": "FunctionName", "Value": {"Ref": synthesis.logical_id(function)}}
        ]
    deployed = _alarms(synthesis)
    for alarm in ALARMS:
        dimensions = deployed[f"OrdersApi-{alarm.name}"]["Dimensions"]
        assert sorted(dimensions, key=lambda d: d["Name"]) == expected[alarm.resource]


def test_the_brief_s_alarms_are_all_there() -> None:
    watched = {(alarm.namespace, alarm.metric_name, alarm.statistic) for alarm in ALARMS}
    assert {
        ("AWS/Lambda", "Errors", "Sum"),
        ("AWS/Lambda", "Throttles", "Sum"),
        ("AWS/ApiGateway", "5XXError", "Sum"),
        ("AWS/ApiGateway", "4XXError", "Average"),  # Average of 4XXError is the 4XX rate
        ("AWS/ApiGateway", "Latency", "p99"),
        ("AWS/WAFV2", "BlockedRequests", "Sum"),
        ("AWS/DynamoDB", "WriteThrottleEvents", "Sum"),
        # DynamoDB throttling and system errors on either path, as the handler sees them
        # (the adapter's StorageUnavailable): one alarm instead of four per-operation ones,
        # which keeps the stack within CloudWatch's 10 free alarms.
        ("OrdersApi", "StorageUnavailable", "Sum"),
    } <= watched
    assert len(ALARMS) <= 10


def test_the_topic_is_encrypted_with_a_rotated_key_and_refuses_plain_transport(
    synthesis: Synthesis,
) -> None:
    monitoring = synthesis.stack.monitoring
    topic = synthesis.template["Resources"][synthesis.logical_id(monitoring.topic)]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [synthesis.logical_id(monitoring.key), "Arn"]}
    assert synthesis.only("AWS::KMS::Key")["Properties"]["EnableKeyRotation"] is True
    policy = _alarm_topic_policy(synthesis)[1]["Properties"]["PolicyDocument"]
    denies = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    key_policy = synthesis.only("AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    services = {
        s["Principal"]["Service"] for s in key_policy if "Service" in s.get("Principal", {})
    }
    # The stack's one key also encrypts the order e-mail topic and the events' dead letters.
    assert services == {
        "cloudwatch.amazonaws.com",
        "budgets.amazonaws.com",
        "events.amazonaws.com",
    }


def _alarm_topic_policy(synthesis: Synthesis) -> tuple[str, dict[str, Any]]:
    topic = {"Ref": synthesis.logical_id(synthesis.stack.monitoring.topic)}
    ((logical_id, policy),) = (
        (logical_id, policy)
        for logical_id, policy in synthesis.resources("AWS::SNS::TopicPolicy").items()
        if policy["Properties"]["Topics"] == [topic]
    )
    return logical_id, policy


def test_no_email_is_subscribed_unless_one_is_configured(synthesis: Synthesis) -> None:
    assert DEFAULT_SETTINGS.observability.alarm_email is None
    assert synthesis.resources("AWS::SNS::Subscription") == {}


def test_the_monthly_budget_warns_at_80_percent_forecast_and_100_percent_actual(
    synthesis: Synthesis,
) -> None:
    budget = synthesis.only("AWS::Budgets::Budget")["Properties"]
    assert budget["Budget"]["BudgetType"] == "COST"
    assert budget["Budget"]["TimeUnit"] == "MONTHLY"
    assert budget["Budget"]["BudgetLimit"] == {
        "Amount": DEFAULT_SETTINGS.observability.monthly_budget_usd,
        "Unit": "USD",
    }
    notifications = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"]): n
        for n in budget["NotificationsWithSubscribers"]
    }
    assert (
        set(notifications)
        == set(BUDGET_NOTIFICATIONS)
        == {
            ("FORECASTED", 80.0),
            ("ACTUAL", 100.0),
        }
    )
    topic = {"Ref": synthesis.logical_id(synthesis.stack.monitoring.topic)}
    for notification in notifications.values():
        assert notification["Notification"]["ThresholdType"] == "PERCENTAGE"
        assert notification["Subscribers"] == [{"SubscriptionType": "SNS", "Address": topic}]


def test_there_is_one_dashboard(synthesis: Synthesis) -> None:
    assert len(synthesis.resources("AWS::CloudWatch::Dashboard")) == len(DASHBOARDS) == 1


def test_the_topic_policy_lets_this_account_s_alarms_and_budgets_publish(
    synthesis: Synthesis,
) -> None:
    """The stack's topic policy replaces SNS's default one: each publisher needs its own allow."""
    policy = _alarm_topic_policy(synthesis)[1]["Properties"]["PolicyDocument"]
    allows = {
        s["Principal"]["Service"]: s
        for s in policy["Statement"]
        if s["Effect"] == "Allow" and s["Action"] == "sns:Publish"
    }
    assert set(allows) == {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"}
    account = {"Ref": "AWS::AccountId"}
    for statement in allows.values():
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    alarms_arn = allows["cloudwatch.amazonaws.com"]["Condition"]["ArnLike"]["aws:SourceArn"]
    assert synthesis.stack.resolve(alarms_arn) == synthesis.stack.resolve(
        synthesis.stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="OrdersApi-*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
    )


def test_the_budget_is_created_after_the_topic_policy_that_lets_it_publish(
    synthesis: Synthesis,
) -> None:
    policy_id, _ = _alarm_topic_policy(synthesis)
    budget = synthesis.only("AWS::Budgets::Budget")
    assert policy_id in budget.get("DependsOn", [])


def test_the_services_may_use_the_key_for_this_accounts_alarms_budgets_and_rules_only(
    synthesis: Synthesis,
) -> None:
    key_policy = synthesis.only("AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    for statement in key_policy:
        if "Service" not in statement.get("Principal", {}):
            continue
        condition = statement["Condition"]
        assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        source = json.dumps(condition["ArnLike"]["aws:SourceArn"])
        service = statement["Principal"]["Service"].split(".")[0]
        assert f":{service}:" in source or f"{service}::" in source
