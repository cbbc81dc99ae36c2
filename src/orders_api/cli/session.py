"""`orders-api token`, `whoami` and `outputs [KEY]`: what curl, shell scripts and people ask of
the cached session and the stack.

`token` prints the cached session's ID token, the value of the `Authorization` header (renewed
first with the refresh token if it is about to expire). `whoami` says whose session it is, on
which API, and until when. `outputs` prints the stack outputs the client uses, or one of them:
`API=$(orders-api outputs ApiUrl)`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from orders_api.cli.api_client import (
    ClientProblem,
    OrdersClient,
    SessionStore,
    StackOutputs,
    unverified_claims,
)
from orders_api.cli.customer import expiry_text

# Output keys as the stack and the twin name them, mapped to the client's fields.
_OUTPUT_FIELDS = {
    "ApiUrl": "api_url",
    "UserPoolId": "user_pool_id",
    "UserPoolClientId": "client_id",
    "Region": "region",
    "IdpEndpoint": "idp_endpoint",
}


def register(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--outputs", type=Path, metavar="FILE", help="stack outputs (as for the other commands)"
    )
    common.add_argument("--json", action="store_true", help="print JSON")

    token = subparsers.add_parser(
        "token",
        parents=[common],
        help='print your ID token, for `curl -H "Authorization: $(orders-api token)"`',
    )
    token.set_defaults(handler=_reporting(_token))

    whoami = subparsers.add_parser(
        "whoami", parents=[common], help="whose session is cached, on which API, until when"
    )
    whoami.set_defaults(handler=_reporting(_whoami))

    outputs = subparsers.add_parser(
        "outputs", parents=[common], help="print the stack outputs the client uses, or one"
    )
    outputs.add_argument("key", nargs="?", choices=sorted(_OUTPUT_FIELDS), metavar="KEY")
    outputs.set_defaults(handler=_reporting(_outputs))


def _reporting(command: Any) -> Any:
    def run(arguments: argparse.Namespace) -> int:
        try:
            return int(command(arguments))
        except ClientProblem as problem:
            if arguments.json:
                print(json.dumps({"error": str(problem)}), file=sys.stderr)
            else:
                print(f"error: {problem}", file=sys.stderr)
            return 1

    return run


def _token(arguments: argparse.Namespace) -> int:
    session = OrdersClient(StackOutputs.load(arguments.outputs)).session()
    if arguments.json:
        print(json.dumps({"idToken": session.id_token, "expiresAt": int(session.expires_at)}))
    else:
        print(session.id_token)
    return 0


def _whoami(arguments: argparse.Namespace) -> int:
    outputs = StackOutputs.load(arguments.outputs)
    session = SessionStore(outputs).load()
    if session is None:
        raise ClientProblem("not logged in: run `orders-api login EMAIL` first")
    claims = unverified_claims(session.id_token)
    where = "the local twin" if outputs.is_local else f"the user pool {outputs.user_pool_id}"
    if arguments.json:
        print(
            json.dumps(
                {
                    "username": session.username,
                    "sub": claims.get("sub"),
                    "userPoolId": outputs.user_pool_id,
                    "apiUrl": outputs.api_url,
                    "expiresAt": int(session.expires_at),
                }
            )
        )
    else:
        renewal = " (renewed on the next call)" if session.expired() else ""
        print(
            f"{session.username} (sub {claims.get('sub', '?')}) on {where}, {outputs.api_url}; "
            f"ID token valid until {expiry_text(session.expires_at)}{renewal}"
        )
    return 0


def _outputs(arguments: argparse.Namespace) -> int:
    outputs = asdict(StackOutputs.load(arguments.outputs))
    by_key = {key: outputs[field] for key, field in _OUTPUT_FIELDS.items()}
    if arguments.key is not None:
        value = by_key[arguments.key]
        print(json.dumps(value) if arguments.json else (value or ""))
    else:
        print(
            json.dumps(by_key)
            if arguments.json
            else "\n".join(f"{k}\t{v}" for k, v in by_key.items())
        )
    return 0
