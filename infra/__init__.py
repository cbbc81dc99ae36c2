"""The AWS CDK app that deploys the Orders API: one construct per concern.

Everything it deploys is read from `orders_api.deployment` (settings, routes, WAF policy,
alarms), the same data the local twin and the cost model read; `infra.config` adds only the
knobs that exist for AWS alone. Nothing here is shipped to Lambda.
"""
