"""The local twin's web ACL: the deployed WAF policy (`orders_api.deployment.waf`) enforced
in-process, with AWS's managed rule groups emulated rule by rule."""

from orders_api.edge.waf.engine import FORBIDDEN, Decision, WafEngine

__all__ = ["FORBIDDEN", "Decision", "WafEngine"]
