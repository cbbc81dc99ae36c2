"""Order events: the bus, the two pipes from the table's stream, the e-mail rule, failed
delivery (dead letters and alarms) and the rights each piece has."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import App, CfnElement, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from synthesized import Synthesis

from infra.config import InfraConfig
from infra.events import PIPES, STREAM_READ_ACTIONS, OrderEvents
from orders_api.deployment.order_events import MAIL_PATHS
from orders_api.domain.events import EVENT_SOURCE, ORDER_PLACED, ORDER_STATUS_CHANGED


def _id(synthesis: Synthesis, construct: Any) -> str:
    """The logical id of an L1 construct, or of an L2 construct's resource."""
    element = construct if isinstance(construct, CfnElement) else construct.node.default_child
    return str(synthesis.stack.resolve(element.logical_id))


def _resource(synthesis: Synthesis, construct: Any) -> dict[str, Any]:
    resource: dict[str, Any] = synthesis.template["Resources"][_id(synthesis, construct)]
    return resource


def _get_att(synthesis: Synthesis, construct: Any, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [_id(synthesis, construct), attribute]}


def _pipes(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    return {
        detail_type: _resource(synthesis, pipe)["Properties"]
        for detail_type, pipe in synthesis.stack.events.pipes.items()
    }


def test_the_stack_has_its_own_event_bus(synthesis: Synthesis) -> None:
    bus = synthesis.only("AWS::Events::EventBus")["Properties"]
    assert bus["Name"] == "OrdersApi-orders"


def test_two_pipes_read_the_table_stream_enrich_and_put_on_the_bus(synthesis: Synthesis) -> None:
    events = synthesis.stack.events
    stream = _get_att(synthesis, synthesis.stack.table, "StreamArn")
    enrichment = _get_att(synthesis, synthesis.stack.functions.functions["events"])
    pipes = _pipes(synthesis)
    assert set(synthesis.resources("AWS::Pipes::Pipe")) == {
        _id(synthesis, pipe) for pipe in events.pipes.values()
    }
    assert set(pipes) == {ORDER_PLACED, ORDER_STATUS_CHANGED}
    for detail_type, pipe in pipes.items():
        assert pipe["Source"] == stream
        assert pipe["Enrichment"] == enrichment
        assert pipe["Target"] == _get_att(synthesis, events.bus)
        assert pipe["RoleArn"] == _get_att(synthesis, events.pipe_role)
        assert pipe["TargetParameters"] == {
            "EventBridgeEventBusParameters": {"DetailType": detail_type, "Source": EVENT_SOURCE}
        }
        parameters = pipe["SourceParameters"]["DynamoDBStreamParameters"]
        assert parameters["StartingPosition"] == "TRIM_HORIZON"
        assert parameters["BatchSize"] <= 10, "an event bus target takes 10 events a batch"
        assert parameters["MaximumRetryAttempts"] >= 0, "-1 would block the shard for 24 h"
        assert parameters["DeadLetterConfig"] == {"Arn": _get_att(synthesis, events.dead_letters)}
    assert EVENT_SOURCE == "orders-api"


def _matches(pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    """The subset of EventBridge pattern matching these filters use: nested objects, and
    arrays of `{"exists": bool}` on leaf values."""
    for key, rule in pattern.items():
        if isinstance(rule, dict):
            value = record.get(key)
            if not _matches(rule, value if isinstance(value, dict) else {}):
                return False
        else:
            (condition,) = rule
            if (key in record) is not condition["exists"]:
                return False
    return True


def _stream_record(event_name: str, old: bool, new: bool) -> dict[str, Any]:
    image = {"orderId": {"S": "ord_1"}, "status": {"S": "PLACED"}}
    dynamodb_part: dict[str, Any] = {"Keys": {"orderId": {"S": "ord_1"}}}
    if old:
        dynamodb_part["OldImage"] = image
    if new:
        dynamodb_part["NewImage"] = {**image, "status": {"S": "SHIPPED"}}
    return {"eventName": event_name, "dynamodb": dynamodb_part}


def test_each_pipe_passes_its_own_kind_of_stream_record_only(synthesis: Synthesis) -> None:
    """INSERT records carry a new image only, MODIFY both, REMOVE an old one only: the filters
    read the images, as Pipes do not filter on `eventName`."""
    records = {
        "INSERT": _stream_record("INSERT", old=False, new=True),
        "MODIFY": _stream_record("MODIFY", old=True, new=True),
        "REMOVE": _stream_record("REMOVE", old=True, new=False),
    }
    expected = {ORDER_PLACED: {"INSERT"}, ORDER_STATUS_CHANGED: {"MODIFY"}}
    for detail_type, pipe in _pipes(synthesis).items():
        (only_filter,) = pipe["SourceParameters"]["FilterCriteria"]["Filters"]
        pattern = json.loads(only_filter["Pattern"])
        assert set(pattern) == {"dynamodb"}
        passed = {name for name, record in records.items() if _matches(pattern, record)}
        assert passed == expected[detail_type]
    assert [spec.detail_type for spec in PIPES] == [ORDER_PLACED, ORDER_STATUS_CHANGED]


def test_the_pipe_role_may_read_the_stream_enrich_put_events_and_dead_letter_only(
    synthesis: Synthesis,
) -> None:
    events = synthesis.stack.events
    role = _resource(synthesis, events.pipe_role)["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "ManagedPolicyArns" not in role
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert {sid: (s["Action"], s["Resource"]) for sid, s in statements.items()} == {
        "ReadOrdersStream": (
            list(STREAM_READ_ACTIONS),
            _get_att(synthesis, synthesis.stack.table, "StreamArn"),
        ),
        "Enrich": (
            "lambda:InvokeFunction",
            _get_att(synthesis, synthesis.stack.functions.functions["events"]),
        ),
        "PutOrderEvents": ("events:PutEvents", _get_att(synthesis, events.bus)),
        "DeadLetter": ("sqs:SendMessage", _get_att(synthesis, events.dead_letters)),
        "DeadLetterKey": (
            ["kms:GenerateDataKey", "kms:Decrypt"],
            _get_att(synthesis, synthesis.stack.monitoring.key),
        ),
    }
    assert all(s["Effect"] == "Allow" and "Condition" not in s for s in statements.values())


def _mail_rule(synthesis: Synthesis) -> dict[str, Any]:
    rule: dict[str, Any] = _resource(synthesis, synthesis.stack.events.mail_rule)["Properties"]
    return rule


def test_a_rule_on_the_bus_mails_a_short_message_for_each_new_order(
    synthesis: Synthesis,
) -> None:
    events = synthesis.stack.events
    rule = _mail_rule(synthesis)
    assert rule["EventBusName"] == {"Ref": synthesis.logical_id(events.bus)}
    assert rule["EventPattern"] == {"source": [EVENT_SOURCE], "detail-type": [ORDER_PLACED]}
    assert rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": synthesis.logical_id(events.mail_topic)}
    assert target["DeadLetterConfig"] == {"Arn": _get_att(synthesis, events.dead_letters)}
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == MAIL_PATHS
    template = transformer["InputTemplate"]
    assert template.startswith('"'), "a string template is quoted"
    assert template.endswith('"')
    assert "<orderId>" in template
    assert "<createdAt>" in template
    # Values the customer typed (the note, the address) are never copied unescaped into it.
    assert set(MAIL_PATHS.values()) == {"$.detail.orderId", "$.detail.createdAt"}


def test_the_order_topic_is_encrypted_and_only_the_mail_rule_may_publish(
    synthesis: Synthesis,
) -> None:
    events = synthesis.stack.events
    topic = _resource(synthesis, events.mail_topic)["Properties"]
    assert topic["KmsMasterKeyId"] == _get_att(synthesis, synthesis.stack.monitoring.key)
    topic_ref = {"Ref": synthesis.logical_id(events.mail_topic)}
    ((policy),) = (
        p["Properties"]["PolicyDocument"]
        for p in synthesis.resources("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [topic_ref]
    )
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "OrderPlacedRulePublishes",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_ref,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                "ArnEquals": {"aws:SourceArn": _get_att(synthesis, events.mail_rule)},
            },
        }
    ]
    denies = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_the_dead_letter_queue_is_encrypted_and_takes_the_mail_rules_failures_only(
    synthesis: Synthesis,
) -> None:
    events = synthesis.stack.events
    queue = _resource(synthesis, events.dead_letters)["Properties"]
    assert queue["KmsMasterKeyId"] == _get_att(synthesis, synthesis.stack.monitoring.key)
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    (policy,) = synthesis.resources("AWS::SQS::QueuePolicy").values()
    allows = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]
    (allow,) = allows
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"]["ArnEquals"] == {
        "aws:SourceArn": _get_att(synthesis, events.mail_rule)
    }


def test_eventbridge_may_use_the_key_for_this_buss_rules_only(synthesis: Synthesis) -> None:
    key_policy = synthesis.only("AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    (statement,) = (
        s for s in key_policy if s.get("Principal") == {"Service": "events.amazonaws.com"}
    )
    assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    source = json.dumps(statement["Condition"]["ArnLike"]["aws:SourceArn"])
    assert ":events:" in source
    assert ":rule/OrdersApi-orders/*" in source


def test_failed_delivery_raises_an_alarm_on_the_stacks_alarm_topic(synthesis: Synthesis) -> None:
    events = synthesis.stack.events
    topic = {"Ref": synthesis.logical_id(synthesis.stack.monitoring.topic)}
    alarms = {
        name: _resource(synthesis, alarm)["Properties"] for name, alarm in events.alarms.items()
    }
    watched = {
        (
            a["Namespace"],
            a["MetricName"],
            tuple(sorted((d["Name"], str(d["Value"])) for d in a["Dimensions"])),
        )
        for a in alarms.values()
    }
    assert watched == {
        ("AWS/EventBridge/Pipes", "ExecutionFailed", (("PipeName", "OrdersApi-order-placed"),)),
        (
            "AWS/EventBridge/Pipes",
            "ExecutionFailed",
            (("PipeName", "OrdersApi-order-status-changed"),),
        ),
        (
            "AWS/Events",
            "FailedInvocations",
            (("EventBusName", "OrdersApi-orders"), ("RuleName", "OrdersApi-order-placed-mail")),
        ),
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            (("QueueName", str(_get_att(synthesis, events.dead_letters, "QueueName"))),),
        ),
    }
    for alarm in alarms.values():
        assert alarm["AlarmName"].startswith("OrdersApi-"), "operators read alarms by prefix"
        assert alarm["AlarmActions"] == [topic]
        assert alarm["Threshold"] == 0
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["Period"] == 300, "standard resolution"


def _scratch_events(config: InfraConfig) -> Template:
    stack = Stack(App(), "Scratch")
    table = dynamodb.Table(
        stack,
        "Table",
        partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    function = lambda_.Function(
        stack,
        "Enrichment",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
    )
    OrderEvents(
        stack,
        "Events",
        config=config,
        table=table,
        enrichment=function,
        key=kms.Key(stack, "Key"),
        alarm_topic=sns.Topic(stack, "Alarms"),
        alarm_name_prefix="Scratch-",
    )
    return Template.from_stack(stack)


def test_the_order_email_is_subscribed_only_when_given_at_deploy_time(
    synthesis: Synthesis,
) -> None:
    assert InfraConfig().orders_email is None
    assert synthesis.resources("AWS::SNS::Subscription") == {}
    assert InfraConfig.from_context(lambda key: None).orders_email is None
    config = InfraConfig.from_context({"ordersEmail": "shop@example.com"}.get)
    assert config.orders_email == "shop@example.com"
    subscriptions = _scratch_events(config).find_resources("AWS::SNS::Subscription")
    (subscription,) = subscriptions.values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "shop@example.com"
    assert _scratch_events(InfraConfig()).find_resources("AWS::SNS::Subscription") == {}
