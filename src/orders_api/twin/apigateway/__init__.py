"""API Gateway (REST API, Lambda proxy integration) emulated: routing, the proxy event, the
Cognito authorizer, CORS."""
