"""The local twin's web ACL: the deployed WAF policy (`orders_api.deployment.waf_policy`)
enforced in-process (`engine.WafEngine`), with AWS's managed rule groups emulated rule by rule."""
