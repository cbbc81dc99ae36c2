"""The local twin's edge: WAF, API Gateway, the Cognito authorizer and identity provider."""
