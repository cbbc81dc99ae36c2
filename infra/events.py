"""Order events: the table's stream, through EventBridge Pipes, onto the stack's own event bus.

    table stream --(pipe "order-placed", new items)------------\\
                 --(pipe "order-status-changed", modified items)-+-> enrichment (events function)
                                                                  -> bus "OrdersApi-orders"
    bus -- rule "OrderPlaced" --> SNS topic --> e-mail (-c ordersEmail=...)
    bus -- rules of other consumers (a fulfilment system) --> their targets

Every event has `source` "orders-api", `detail-type` "OrderPlaced" or "OrderStatusChanged" and
the order as the API returns it as `detail` (the enrichment turns each stream record into
that). Nothing in the create path sends them: a write to the table is the event.

Two pipes, one per detail-type, each with a static `DetailType`. Pipes target parameters do
accept a JSON path instead of a static value ("Dynamic path parameters",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-target.html#pipes-targets-dynamic-parms),
but the page does not say whether the path reads the source record or the enrichment's
output, and the enrichment's output is the order alone, which does not say which event it is.
Two filtered pipes say it without either doubt. A DynamoDB stream shard serves at most two
readers at once ("More than 2 processes are reading from the same streams shard at the same
time", LimitExceededException,
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html),
so these two pipes are the stream's only readers: other consumers subscribe to the bus.

The filters read the stream record's `dynamodb` field (which images it has): EventBridge
Pipes documents `eventName` among the fields that cannot be used in a filter pattern
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html), and
a DynamoDB stream record of a new item has a new image only, that of a change both images.

Failed delivery is never silent: a pipe retries a failed batch, halving it, then sends the
records' coordinates to the dead-letter queue; the mail rule's target retries, then sends the
event to the same queue. Alarms (to the stack's alarm topic) watch each pipe's
`ExecutionFailed` (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-monitoring.html),
the rule's `FailedInvocations` (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html)
and the queue's depth. The topic and the queue are encrypted with the stack's key
(`infra/monitoring.py`); EventBridge may use it for this bus's rules only, in this account
("Amazon SNS: key management, compatibility with AWS services",
https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.compliance import acknowledge_nag
from infra.config import InfraConfig
from orders_api.adapters.table_layout import PARTITION_KEY
from orders_api.deployment.order_events import MAIL_PATHS, MAIL_TEMPLATE, event_bus_name
from orders_api.domain.events import EVENT_SOURCE, ORDER_PLACED, ORDER_STATUS_CHANGED

STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
"""What a pipe needs of a DynamoDB stream source
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html)."""

BATCH_SIZE = 10
"""Records per pipe execution: an event bus target takes at most 10 events per batch
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html)."""
RETRY_ATTEMPTS = 10
"""A failed batch is retried this often (halved each time) before it is dead-lettered; the
default, -1, would retry until the record leaves the stream, 24 hours later, holding back
every later record of its shard."""


def _image_has_key(image: str, present: bool) -> dict[str, Any]:
    # `exists` matches leaf values only: the key's string value inside the image.
    return {image: {PARTITION_KEY: {"S": [{"exists": present}]}}}


@dataclass(frozen=True, slots=True)
class PipeSpec:
    name: str
    """The pipe's name after the stack's (`OrdersApi-order-placed`)."""
    detail_type: str
    pattern: dict[str, Any]
    """The filter pattern on the stream record."""


PIPES: tuple[PipeSpec, ...] = (
    PipeSpec(
        name="order-placed",
        detail_type=ORDER_PLACED,
        # INSERT: a new image and no old one.
        pattern={
            "dynamodb": {**_image_has_key("NewImage", True), **_image_has_key("OldImage", False)}
        },
    ),
    PipeSpec(
        name="order-status-changed",
        detail_type=ORDER_STATUS_CHANGED,
        # MODIFY: both images (only a status change modifies an order).
        pattern={
            "dynamodb": {**_image_has_key("NewImage", True), **_image_has_key("OldImage", True)}
        },
    ),
)


class OrderEvents(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: InfraConfig,
        table: dynamodb.ITable,
        enrichment: lambda_.IFunction,
        key: kms.IKey,
        alarm_topic: sns.ITopic,
        alarm_name_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stream_arn = table.table_stream_arn
        if stream_arn is None:
            raise ValueError("the orders table has no stream to read events from")
        self.bus_name = event_bus_name(config.stack_name)
        self.bus = events.EventBus(self, "Bus", event_bus_name=self.bus_name)
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge_nag(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the event pipes and the mail rule's "
            "target; cdk-nag only recognises a queue named in another queue's redrive policy.",
        )
        self.pipe_names = [f"{config.stack_name}-{spec.name}" for spec in PIPES]
        self.pipe_role = iam.Role(
            self,
            "PipeRole",
            assumed_by=iam.ServicePrincipal(
                "pipes.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description="Orders API event pipes: read the table stream, enrich, put on the bus",
            inline_policies={
                "least-privilege": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="ReadOrdersStream",
                            actions=list(STREAM_READ_ACTIONS),
                            resources=[stream_arn],
                        ),
                        iam.PolicyStatement(
                            sid="Enrich",
                            actions=["lambda:InvokeFunction"],
                            resources=[enrichment.function_arn],
                        ),
                        iam.PolicyStatement(
                            sid="PutOrderEvents",
                            actions=["events:PutEvents"],
                            resources=[self.bus.event_bus_arn],
                        ),
                        iam.PolicyStatement(
                            sid="DeadLetter",
                            actions=["sqs:SendMessage"],
                            resources=[self.dead_letters.queue_arn],
                        ),
                        iam.PolicyStatement(
                            # Sending to a queue encrypted with a customer key.
                            sid="DeadLetterKey",
                            actions=["kms:GenerateDataKey", "kms:Decrypt"],
                            resources=[key.key_arn],
                        ),
                    ]
                )
            },
        )
        # The role's policy is inline: a pipe (created after the role it names) starts with
        # its rights in place.
        self.pipes: dict[str, pipes.CfnPipe] = {}
        for spec, pipe_name in zip(PIPES, self.pipe_names, strict=True):
            self.pipes[spec.detail_type] = pipes.CfnPipe(
                self,
                f"Pipe{spec.detail_type}",
                name=pipe_name,
                description=f"Orders API: {spec.detail_type} events from the orders table",
                role_arn=self.pipe_role.role_arn,
                source=stream_arn,
                source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                    filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                        filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps(spec.pattern))]
                    ),
                    dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                        # From the oldest record kept (24 hours): nothing written between
                        # the stream's creation and the pipe's is lost.
                        starting_position="TRIM_HORIZON",
                        batch_size=BATCH_SIZE,
                        maximum_retry_attempts=RETRY_ATTEMPTS,
                        on_partial_batch_item_failure="AUTOMATIC_BISECT",
                        dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(
                            arn=self.dead_letters.queue_arn
                        ),
                    ),
                ),
                enrichment=enrichment.function_arn,
                target=self.bus.event_bus_arn,
                target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                    event_bridge_event_bus_parameters=pipes.CfnPipe.PipeTargetEventBridgeEventBusParametersProperty(
                        source=EVENT_SOURCE, detail_type=spec.detail_type
                    )
                ),
            )
        self._mail(config, key)
        self._alarms(alarm_topic, alarm_name_prefix)

    def _mail(self, config: InfraConfig, key: kms.IKey) -> None:
        """The OrderPlaced rule: one short e-mail per new order, through an encrypted topic."""
        self.mail_topic = sns.Topic(
            self,
            "OrderMailTopic",
            display_name=f"{config.stack_name} new orders",
            master_key=key,
            enforce_ssl=True,
        )
        if config.orders_email:
            self.mail_topic.add_subscription(subscriptions.EmailSubscription(config.orders_email))
        self.mail_rule_name = f"{config.stack_name}-order-placed-mail"
        self.mail_rule = events.CfnRule(
            self,
            "OrderPlacedMail",
            name=self.mail_rule_name,
            description="Orders API: an e-mail for each new order",
            event_bus_name=self.bus.event_bus_name,
            event_pattern={"source": [EVENT_SOURCE], "detail-type": [ORDER_PLACED]},
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="OrderMail",
                    arn=self.mail_topic.topic_arn,
                    input_transformer=events.CfnRule.InputTransformerProperty(
                        input_paths_map=dict(MAIL_PATHS), input_template=MAIL_TEMPLATE
                    ),
                    dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                        arn=self.dead_letters.queue_arn
                    ),
                )
            ],
        )
        this_account = {"aws:SourceAccount": Aws.ACCOUNT_ID}
        from_the_rule = {"aws:SourceArn": self.mail_rule.attr_arn}
        self.mail_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrderPlacedRulePublishes",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.mail_topic.topic_arn],
                conditions={"StringEquals": this_account, "ArnEquals": from_the_rule},
            )
        )
        self.dead_letters.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrderPlacedRuleDeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letters.queue_arn],
                conditions={"StringEquals": this_account, "ArnEquals": from_the_rule},
            )
        )
        # The key's policy cannot name the rule (the rule names the topic, which names the
        # key): it names this bus's rules by pattern instead.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PublishEvents",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringEquals": this_account,
                    "ArnLike": {"aws:SourceArn": rules_of_bus(Stack.of(self), self.bus_name)},
                },
            )
        )

    def _alarms(self, topic: sns.ITopic, prefix: str) -> None:
        """Failed delivery, anywhere between the table and the e-mail, notifies the alarm topic."""
        five_minutes = Duration.minutes(5)
        metrics: dict[str, tuple[cloudwatch.Metric, str]] = {}
        for spec, pipe_name in zip(PIPES, self.pipe_names, strict=True):
            metrics[f"{spec.name}-pipe-failures"] = (
                cloudwatch.Metric(
                    namespace="AWS/EventBridge/Pipes",
                    metric_name="ExecutionFailed",
                    dimensions_map={"PipeName": pipe_name},
                    statistic="Sum",
                    period=five_minutes,
                ),
                f"The {pipe_name} pipe failed to deliver {spec.detail_type} events (retried, "
                "then dead-lettered).",
            )
        metrics["order-mail-failures"] = (
            cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="FailedInvocations",
                # A rule on a custom bus reports under both dimensions.
                dimensions_map={"EventBusName": self.bus_name, "RuleName": self.mail_rule_name},
                statistic="Sum",
                period=five_minutes,
            ),
            "The new-order e-mail could not be published to its topic.",
        )
        metrics["undelivered-events"] = (
            self.dead_letters.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=five_minutes
            ),
            "Events or stream records wait in the dead-letter queue: see docs/deploy.md.",
        )
        action = cloudwatch_actions.SnsAction(topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for name, (metric, description) in metrics.items():
            alarm = metric.create_alarm(
                self,
                f"Alarm-{name}",
                alarm_name=f"{prefix}{name}",
                alarm_description=description,
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            self.alarms[name] = alarm


def rules_of_bus(stack: Stack, bus_name: str) -> str:
    """An ARN pattern matching every rule on the bus (`rule/BUS/NAME`)."""
    return stack.format_arn(
        service="events",
        resource="rule",
        resource_name=f"{bus_name}/*",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )
