"""The Orders table: one item per order under `orderId`, two indexes and a change stream.

The layout is `orders_api.adapters.table_layout`, which the repository and the twin read too:

- `byCustomer` (customerId, createdAt) and `byStatus` (status, createdAt), both projecting
  every attribute, so that a page of orders is one Query and no GetItem. An index only receives
  writes that follow a write to the table, so the table's on-demand write cap bounds the
  indexes' writes as well; they have no cap of their own.
- a stream of old and new images, read by the event pipes (`infra/events.py`).

DynamoDB creates one global secondary index per UpdateTable call ("You can create or delete
only one global secondary index per UpdateTable operation",
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html). A table
deployed before the indexes existed therefore gets them in two deployments:
`-c tableIndexes=1` first, then a plain deploy (docs/deploy.md).

Encryption: DynamoDB always encrypts at rest; this table uses the AWS-owned key, which costs
nothing and needs no key policy. A customer-managed key ($1/month plus requests) would add
key-level audit and revocation that this API does not need: its readers are the functions and
the pipes, whose roles already name the table, its indexes or its stream. Switch `encryption`
to CUSTOMER_MANAGED if a compliance regime asks for it.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.compliance import skip_checkov
from orders_api.adapters.table_layout import (
    CREATED_KEY,
    CUSTOMER_INDEX,
    CUSTOMER_KEY,
    PARTITION_KEY,
    STATUS_INDEX,
    STATUS_KEY,
    STREAM_VIEW_TYPE,
)
from orders_api.deployment.settings import StorageSettings

INDEXES: tuple[tuple[str, str, str], ...] = (
    (CUSTOMER_INDEX, CUSTOMER_KEY, CREATED_KEY),
    (STATUS_INDEX, STATUS_KEY, CREATED_KEY),
)
"""(index name, partition key, sort key), in the order a table gains them; all string keys."""


def index_arn(table: dynamodb.ITable, index_name: str) -> str:
    """The ARN of one of the table's indexes, as IAM names it (`table/NAME/index/INDEX`)."""
    return f"{table.table_arn}/index/{index_name}"


class OrdersTable(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StorageSettings,
        index_count: int | None = None,
    ) -> None:
        """`index_count`: how many of `INDEXES` to deploy (None: all); see the module doc."""
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(
                name=PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # A cost cap: writes beyond this many units per second are throttled, not billed.
            max_write_request_units=settings.max_write_request_units,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=settings.point_in_time_recovery
            ),
            encryption=dynamodb.TableEncryption.DEFAULT,
            stream=dynamodb.StreamViewType[STREAM_VIEW_TYPE],
            deletion_protection=True,
            # Orders outlive the stack: `cdk destroy` leaves the table (and its data) in place.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.index_names: list[str] = []
        for name, partition, sort in INDEXES[:index_count]:
            self.table.add_global_secondary_index(
                index_name=name,
                partition_key=dynamodb.Attribute(
                    name=partition, type=dynamodb.AttributeType.STRING
                ),
                sort_key=dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )
            self.index_names.append(name)
        skip_checkov(
            self.table,
            "CKV_AWS_119",
            "Encrypted at rest with the AWS-owned key by decision (infra/storage.py): a "
            "customer-managed key costs money and adds nothing the function roles need.",
        )
