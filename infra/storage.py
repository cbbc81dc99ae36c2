"""The Orders table: one item per order, partition key `orderId`.

Encryption: DynamoDB always encrypts at rest; this table uses the AWS-owned key, which costs
nothing and needs no key policy. A customer-managed key ($1/month plus requests) would add
key-level audit and revocation that this API does not need: its only readers are two
functions whose roles already name the table. Switch `encryption` to CUSTOMER_MANAGED if a
compliance regime asks for it.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.compliance import skip_checkov
from orders_api.deployment.settings import StorageSettings

PARTITION_KEY = "orderId"


class OrdersTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StorageSettings) -> None:
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
            deletion_protection=True,
            # Orders outlive the stack: `cdk destroy` leaves the table (and its data) in place.
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_checkov(
            self.table,
            "CKV_AWS_119",
            "Encrypted at rest with the AWS-owned key by decision (infra/storage.py): a "
            "customer-managed key costs money and adds nothing the two function roles need.",
        )
