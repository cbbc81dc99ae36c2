"""The cost model reads what is deployed from where the CDK app reads it, never from copies."""

from __future__ import annotations

import ast
from dataclasses import replace

from orders_api.adapters import table_layout
from orders_api.cost.deployed import (
    EVENT_DELIVERY_ALARMS,
    EVENT_PIPES,
    assumed_event_alarms,
    billed_waf_rule_count,
    read_deployment,
)
from orders_api.deployment import monitoring, waf_policy
from orders_api.deployment.settings import DEFAULT_SETTINGS
from tests.paths import ROOT

SOURCE = ROOT / "src" / "orders_api"


def _metric_names_in_source() -> set[str]:
    """Every literal `name=` given to `add_metric(...)` anywhere in the package."""
    names = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_metric":
                for keyword in node.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        names.add(keyword.value.value)
    return names


def test_the_billed_waf_rules_are_the_top_level_rules_of_the_rendered_web_acl() -> None:
    rendered = waf_policy.render_web_acl(
        waf_policy.DEFAULT_POLICY, name="OrdersApi", metric_prefix="OrdersApi"
    )
    assert (
        billed_waf_rule_count() == len(rendered["Rules"]) == len(waf_policy.DEFAULT_POLICY.rules())
    )


def test_turning_on_ip_reputation_adds_one_billed_rule() -> None:
    stricter = waf_policy.with_ip_reputation(waf_policy.DEFAULT_POLICY)
    assert read_deployment(policy=stricter).waf_rules == read_deployment().waf_rules + 1


def test_function_memory_architecture_and_observability_come_from_the_settings() -> None:
    deployment = read_deployment()
    assert deployment.function_memory_mb == DEFAULT_SETTINGS.function.memory_mb
    assert deployment.architecture == DEFAULT_SETTINGS.function.architecture
    assert deployment.log_retention_days == DEFAULT_SETTINGS.observability.log_retention_days
    assert deployment.tracing == DEFAULT_SETTINGS.observability.tracing
    assert deployment.point_in_time_recovery == DEFAULT_SETTINGS.storage.point_in_time_recovery
    bigger = replace(DEFAULT_SETTINGS, function=replace(DEFAULT_SETTINGS.function, memory_mb=1024))
    assert read_deployment(bigger).function_memory_mb == 1024


def test_alarms_dashboards_and_custom_metrics_are_counted_from_the_monitoring_module() -> None:
    deployment = read_deployment()
    assert deployment.alarms == len(monitoring.ALARMS) + assumed_event_alarms()
    assert deployment.dashboards == len(monitoring.DASHBOARDS)
    assert deployment.custom_metrics == len(monitoring.CUSTOM_METRICS)


def test_the_listed_custom_metrics_are_exactly_those_the_code_emits() -> None:
    assert set(monitoring.CUSTOM_METRICS) == _metric_names_in_source()


def test_every_alarm_is_standard_resolution_and_uniquely_named() -> None:
    names = [alarm.name for alarm in monitoring.ALARMS]
    assert len(names) == len(set(names))
    assert all(alarm.period_seconds >= 60 for alarm in monitoring.ALARMS)


def test_each_function_has_an_error_and_a_throttle_alarm() -> None:
    resources = {(a.resource, a.metric_name) for a in monitoring.ALARMS}
    for function in ("create-function", "read-function"):
        assert {(function, "Errors"), (function, "Throttles")} <= resources


def test_the_event_delivery_alarms_are_assumed_only_until_monitoring_lists_its_own() -> None:
    dlq = replace(
        monitoring.ALARMS[0],
        name="events-dead-letter-depth",
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
    )
    assert assumed_event_alarms((*monitoring.ALARMS, dlq)) == 0
    plain = tuple(
        a
        for a in monitoring.ALARMS
        if a.namespace not in {"AWS/SQS", "AWS/Events", "AWS/EventBridge/Pipes"}
    )
    assert assumed_event_alarms(plain) == EVENT_DELIVERY_ALARMS


def test_the_indexes_priced_are_the_table_layouts_two() -> None:
    assert read_deployment().secondary_indexes == 2
    assert {table_layout.CUSTOMER_INDEX, table_layout.STATUS_INDEX} == {"byCustomer", "byStatus"}


def test_the_pipes_and_their_alarms_are_those_infra_events_deploys() -> None:
    """The package cannot import the CDK app: read `infra/events.py` as text instead. Its
    PIPES hold one PipeSpec per pipe; `_alarms` adds one alarm per pipe, the rule's and the
    dead-letter queue's (two literal keys)."""
    tree = ast.parse((ROOT / "infra" / "events.py").read_text())
    specs = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "PipeSpec"
    ]
    assert len(specs) == EVENT_PIPES
    alarms = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "_alarms"
    )
    literal_keys = [
        target.slice.value
        for node in ast.walk(alarms)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
    ]
    assert EVENT_PIPES + len(literal_keys) == EVENT_DELIVERY_ALARMS
