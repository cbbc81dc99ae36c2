"""The stack's outputs are exactly the keys the local twin writes."""

from __future__ import annotations

from synthesized import Synthesis

from infra.app import synthesis_summary
from orders_api.deployment.settings import OUTPUT_KEYS


def test_the_outputs_are_the_local_twins_keys_and_nothing_else(synthesis: Synthesis) -> None:
    assert tuple(synthesis.template["Outputs"]) == OUTPUT_KEYS
    assert OUTPUT_KEYS[-2:] == ("FulfilFunctionName", "EventBusName")


def test_the_outputs_name_the_deployed_resources(synthesis: Synthesis) -> None:
    stack = synthesis.stack
    outputs = {key: value["Value"] for key, value in synthesis.template["Outputs"].items()}
    assert outputs["UserPoolId"] == {"Ref": synthesis.logical_id(stack.auth.user_pool)}
    assert outputs["UserPoolClientId"] == {"Ref": synthesis.logical_id(stack.auth.client)}
    assert outputs["TableName"] == {"Ref": synthesis.logical_id(stack.table)}
    assert outputs["Region"] == {"Ref": "AWS::Region"}
    assert outputs["OperatorsGroupName"] == {"Ref": synthesis.logical_id(stack.access.group)}
    assert outputs["FulfilFunctionName"] == {
        "Ref": synthesis.logical_id(stack.functions.functions["fulfil"])
    }
    assert outputs["EventBusName"] == {"Ref": synthesis.logical_id(stack.events.bus)}
    assert outputs["WebAclArn"] == {
        "Fn::GetAtt": [stack.resolve(stack.protection.web_acl.logical_id), "Arn"]
    }
    url = outputs["ApiUrl"]["Fn::Join"][1]
    assert url[0] == "https://"
    assert {"Ref": synthesis.logical_id(stack.api.stage)} in url


def test_make_synth_says_where_the_template_is_and_what_it_holds(synthesis: Synthesis) -> None:
    summary = synthesis_summary(synthesis.template_path, "OrdersApi")
    resources = len(synthesis.template["Resources"])
    assert summary.startswith(f"Synthesized stack OrdersApi: {synthesis.template_path}")
    assert f"{resources} resources (" in summary
    assert f"{len(synthesis.template['Outputs'])} outputs" in summary
    assert "make deploy" in summary
