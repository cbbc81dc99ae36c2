"""The Orders table: key, billing cap, recovery, retention and encryption decisions."""

from __future__ import annotations

from synthesized import Synthesis

from orders_api.deployment.settings import DEFAULT_SETTINGS


def test_the_orders_table_is_keyed_by_order_id_alone(synthesis: Synthesis) -> None:
    table = synthesis.only("AWS::DynamoDB::Table")["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "orderId", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "orderId", "AttributeType": "S"}]
    assert "GlobalSecondaryIndexes" not in table


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
