"""The local twin: the deployed request path on one machine, one folder per AWS service it
emulates (apigateway/, awslambda/, waf/, cognito/), composed by run.py and served by server.py.
It runs the very function Lambda runs (`orders_api.function`)."""
