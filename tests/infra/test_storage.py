"""The Orders table: key, indexes, stream, billing cap, recovery, retention and encryption."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template
from synthesized import Synthesis

from infra.config import InfraConfig
from infra.storage import INDEXES, OrdersTable
from orders_api.adapters import table_layout
from orders_api.deployment.settings import DEFAULT_SETTINGS


def test_the_orders_table_is_keyed_by_order_id_alone(synthesis: Synthesis) -> None:
    table = synthesis.only("AWS::DynamoDB::Table")["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "orderId", "KeyType": "HASH"}]
    assert table_layout.PARTITION_KEY == "orderId"


def _index(name: str, partition: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": partition, "KeyType": "HASH"},
            {"AttributeName": "createdAt", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def test_customers_and_statuses_each_have_an_index_projecting_every_attribute(
    synthesis: Synthesis,
) -> None:
    table = synthesis.only("AWS::DynamoDB::Table")["Properties"]
    assert table["GlobalSecondaryIndexes"] == [
        _index("byCustomer", "customerId"),
        _index("byStatus", "status"),
    ]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": name, "AttributeType": "S"}
        for name in ("createdAt", "customerId", "orderId", "status")
    ]
    assert [name for name, _, _ in INDEXES] == [
        table_layout.CUSTOMER_INDEX,
        table_layout.STATUS_INDEX,
    ]


def test_the_table_streams_old_and_new_images(synthesis: Synthesis) -> None:
    table = synthesis.only("AWS::DynamoDB::Table")["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table_layout.STREAM_VIEW_TYPE == "NEW_AND_OLD_IMAGES"


def test_an_existing_table_can_gain_its_indexes_one_deployment_at_a_time() -> None:
    """DynamoDB creates one global secondary index per UpdateTable: `-c tableIndexes=1`."""
    assert InfraConfig.from_context({"tableIndexes": "1"}.get).table_indexes == 1
    assert InfraConfig.from_context(lambda key: None).table_indexes is None
    with pytest.raises(ValueError, match="tableIndexes"):
        InfraConfig.from_context({"tableIndexes": "-1"}.get)
    stack = Stack(App(), "Scratch")
    OrdersTable(stack, "Storage", settings=DEFAULT_SETTINGS.storage, index_count=1)
    (table,) = Template.from_stack(stack).find_resources("AWS::DynamoDB::Table").values()
    assert table["Properties"]["GlobalSecondaryIndexes"] == [_index("byCustomer", "customerId")]
    assert "StreamSpecification" in table["Properties"]


def test_the_table_bills_per_request_with_the_write_cap_from_settings(
    synthesis: Synthesis,
) -> None:
    table = synthesis.only("AWS::DynamoDB::Table")["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["OnDemandThroughput"] == {
        "MaxWriteRequestUnits": DEFAULT_SETTINGS.storage.max_write_request_units
    }


def test_point_in_time_recovery_and_deletion_protection_are_on(synthesis: Synthesis) -> None:
    table = synthesis.only("AWS::DynamoDB::Table")["Properties"]
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["DeletionProtectionEnabled"] is True


def test_the_table_and_its_orders_survive_stack_deletion(synthesis: Synthesis) -> None:
    table = synthesis.only("AWS::DynamoDB::Table")
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_the_table_is_encrypted_with_the_aws_owned_key_by_decision(synthesis: Synthesis) -> None:
    table = synthesis.only("AWS::DynamoDB::Table")["Properties"]
    assert table.get("SSESpecification", {}).get("SSEEnabled", False) is False
