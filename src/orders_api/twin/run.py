"""The local twin, assembled and served: the API and the identity provider in one process.

Composition only. `run(TwinOptions(...))` binds both ports (0 picks a free one), opens the
identity provider and the storage (`storage.py`) in the data dir, wires web ACL -> (CORS
preflight | gateway -> authorizer -> the Lambda handler), serves both with uvicorn on one event
loop, writes `<data-dir>/outputs.json` (`outputs.py`) once both listen and the authorizer has
the issuer's keys, and shuts down gracefully on SIGINT/SIGTERM.

The function's own output: in Lambda, Powertools writes JSON logs and EMF metrics to stdout,
which CloudWatch collects. Locally that would be one JSON line per request on the terminal, so
by default the twin sets POWERTOOLS_LOG_LEVEL=WARNING and POWERTOOLS_METRICS_DISABLED=true
(unless already set): warnings and errors still show. `function_logs=True` keeps both as in
Lambda, for debugging.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import resource
import signal
import socket
import sys
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import uvicorn

from orders_api.deployment.cors_policy import API_CORS
from orders_api.deployment.settings import OUTPUT_KEYS
from orders_api.twin.apigateway.authorizer import CognitoAuthorizer
from orders_api.twin.apigateway.cors import ApiCors
from orders_api.twin.apigateway.gateway import LOCAL_ACCOUNT_ID, Gateway
from orders_api.twin.apigateway.routing import stable_id
from orders_api.twin.awslambda.context import LambdaHandler
from orders_api.twin.awslambda.processes import ProcessEnvironments
from orders_api.twin.awslambda.runtime import handler_of
from orders_api.twin.cognito import IdentityProvider
from orders_api.twin.connection_limits import BoundedHttpProtocol
from orders_api.twin.docs_page import DocsPage
from orders_api.twin.eventbridge.local import order_events_pipe
from orders_api.twin.http import url_host
from orders_api.twin.lock import DataFolderLock
from orders_api.twin.options import TwinOptions, TwinStartupError
from orders_api.twin.outputs import print_summary, write_outputs
from orders_api.twin.redaction import MaskTokens
from orders_api.twin.server import TwinApp
from orders_api.twin.storage import Storage, open_storage

GRACEFUL_SHUTDOWN_SECONDS = 10

logger = logging.getLogger(__name__)


def api_id_for(user_pool_id: str) -> str:
    """A REST API's id, stable for a data dir (its user pool's)."""
    return stable_id(user_pool_id, 10)


def configure_function_output(function_logs: bool) -> None:
    """Decide what the handler's Powertools Logger and Metrics print (before it is imported)."""
    if function_logs:
        os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO"
        os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
    else:
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "OrdersApi")


def load_function(handler_module: ModuleType | None = None) -> LambdaHandler:
    """The Lambda handler in this process, as the runtime would import it (or from this copy
    of its module): for in-process fronts (benchmarks, the security suites)."""
    module = handler_module or importlib.import_module("orders_api.function.handler")
    handler: LambdaHandler = handler_of(module)
    return handler


DURATIONS_FILE = "lambda-durations.json"


def _function_environment(storage: Storage) -> dict[str, str]:
    """The environment variables of the function's processes: the twin's own (the function's
    log settings and CORS policy included), and how to reach DynamoDB when it stores orders
    there (SQLite is the storage service's, reached through a channel of each environment's)."""
    environment = dict(os.environ)
    environment.update(storage.function_environment)
    return environment


def _write_durations(data_dir: Path, environments: ProcessEnvironments) -> None:
    """`<data dir>/lambda-durations.json`: the mean warm invocation this run measured, for
    `orders-api cost --bench-results` (nothing when no warm invocation was measured)."""
    summary = environments.durations_summary()
    if summary["warm_invoke_ms"] is not None:
        (data_dir / DURATIONS_FILE).write_text(json.dumps(summary, indent=2) + "\n")


def bind(host: str, port: int, options: TwinOptions) -> socket.socket:
    """A listening socket on `port`; the error names both ports' flags, since a twin needs
    both free."""
    try:
        return socket.create_server((host, port), family=_family(host), backlog=2048)
    except OSError as exc:
        raise TwinStartupError(
            f"cannot listen on {host}:{port} ({exc.strerror}): another program, perhaps "
            f"another twin, uses it. Stop it, or pick two free ports: --port "
            f"{_another(options.port)} --idp-port {_another(options.idp_port)}"
        ) from exc


def _another(port: int) -> int:
    """A port to suggest instead of `port` (0, any free port, stays 0)."""
    return port + 1 if 0 < port < 65535 else port


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the twin stops both servers together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


API_CONNECTIONS = 2048
IDP_CONNECTIONS = 512
"""Connections and requests in flight each server takes before answering 503 (uvicorn's
limit_concurrency); together under the file limit the twin raises itself to, so that a flood of
connections to one server leaves room for the other: the API cannot starve sign-in."""


def _uvicorn_server(app: Any, options: TwinOptions, port: int, connections: int) -> _Server:
    return _Server(
        uvicorn.Config(
            app,
            host=options.host,
            port=port,
            lifespan="off",
            access_log=options.access_log,
            log_level="info" if options.access_log else "warning",
            proxy_headers=False,
            server_header=False,
            ws="none",
            http=BoundedHttpProtocol,
            limit_concurrency=connections,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    )


def raise_file_limit(needed: int = API_CONNECTIONS + IDP_CONNECTIONS + 256) -> int:
    """Raise this process's soft limit on open files towards `needed` (never above the hard
    limit, never lowered); the limit in force after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft


def run(options: TwinOptions, out: IO[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM; 0 after a graceful stop. Raises TwinStartupError."""
    stream = out or sys.stdout
    settings = options.settings
    options.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    raise_file_limit()
    _configure_twin_logging()
    configure_function_output(options.function_logs)
    # As the stack configures the function: the handler adds the CORS headers to its responses.
    os.environ.update(API_CORS.function_environment())

    with contextlib.ExitStack() as cleanup:
        folder = cleanup.enter_context(DataFolderLock(options.data_dir))
        api_socket = cleanup.enter_context(bind(options.host, options.port, options))
        idp_socket = cleanup.enter_context(bind(options.host, options.idp_port, options))
        api_port = api_socket.getsockname()[1]
        idp_port = idp_socket.getsockname()[1]

        def log_from_idp(message: str) -> None:
            print(f"[idp] {message}", file=stream, flush=True)

        idp = IdentityProvider.open(
            options.data_dir,
            region=settings.region,
            host=options.host,
            port=idp_port,
            settings=settings.auth,
            log=log_from_idp,
        )
        cleanup.callback(idp.close)
        storage = cleanup.enter_context(open_storage(options))
        events_path: str | None = None
        if storage.kind == "sqlite":
            events = cleanup.enter_context(
                order_events_pipe(options, Path(storage.table_name), account=LOCAL_ACCOUNT_ID)
            )
            events_path = str(events)
        # One process per execution environment, up to the deployed concurrency.
        environments = ProcessEnvironments(
            "orders_api.function.handler.lambda_handler",
            settings.function.reserved_concurrency,
            settings=settings.function,
            environment=_function_environment(storage),
            report=lambda line: print(line, file=stream, flush=True),
            storage=storage.channels,
        )
        # Registered last, so run first: in-flight invocations finish before the storage
        # closes, and their durations are summed up for the cost model.
        cleanup.callback(_write_durations, options.data_dir, environments)
        cleanup.callback(environments.close)
        authorizer = CognitoAuthorizer(
            issuer=idp.issuer,
            client_id=idp.client_id,
            cache_ttl_seconds=settings.auth.authorizer_cache_seconds,
            jwks_url=idp.jwks_url,
        )
        gateway = Gateway(
            handler=environments.invoke,
            authorizer=authorizer,
            api_id=api_id_for(idp.user_pool_id),
            settings=settings,
            port=api_port,
        )
        api_url = f"http://{url_host(options.host)}:{api_port}/{settings.stage}/"
        outputs: dict[str, str | None] = dict.fromkeys(OUTPUT_KEYS)
        outputs.update(
            ApiUrl=api_url,
            UserPoolId=idp.user_pool_id,
            UserPoolClientId=idp.client_id,
            Region=settings.region,
            TableName=storage.table_name,
            WebAclArn="local" if options.request_filter is not None else None,
            # No fulfil function runs here: `orders-api ops` works on the data folder.
            FulfilFunctionName=None,
            EventBusName=events_path,
            IdpEndpoint=idp.endpoint,
        )
        ready = threading.Event()

        def readiness() -> dict[str, object]:
            request_filter = options.request_filter
            return {
                "status": "ready" if ready.is_set() else "starting",
                "apiUrl": api_url,
                "idpEndpoint": idp.endpoint,
                "storage": storage.kind,
                "requestFilter": request_filter.stats() if request_filter is not None else None,
            }

        app = TwinApp(
            gateway,
            readiness,
            cors=ApiCors(API_CORS, stage=settings.stage),
            web_acl=options.request_filter,
            max_body_bytes=settings.api.max_body_bytes,
        )
        api_server = _uvicorn_server(
            _with_docs(app, api_url, idp), options, api_port, API_CONNECTIONS
        )
        idp_server = _uvicorn_server(idp.asgi_app(), options, idp_port, IDP_CONNECTIONS)

        def started() -> None:
            # The issuer answers on this very loop: fetch its keys from a thread, before readiness.
            keys_loaded = asyncio.get_running_loop().run_in_executor(None, authorizer.load_keys)
            keys_loaded.add_done_callback(lambda _: announce())

        def announce() -> None:
            path = write_outputs(options.data_dir, outputs)
            folder.describe_holder(api_url)
            ready.set()
            print_summary(stream, outputs, path, options.data_dir)

        def stopping(signal_number: int) -> None:
            name = signal.Signals(signal_number).name
            print(f"Stopping the twin ({name}): finishing requests in flight...", file=stream)
            stream.flush()

        with asyncio.Runner(loop_factory=api_server.config.get_loop_factory()) as runner:
            runner.run(
                _serve_both(
                    api_server,
                    api_socket,
                    idp_server,
                    idp_socket,
                    on_started=started,
                    on_stop=stopping,
                )
            )
    print(f"Stopped. Users, keys and orders are kept in {options.data_dir}.", file=stream)
    stream.flush()
    return 0


def _with_docs(api: TwinApp, api_url: str, idp: IdentityProvider) -> Any:
    """The API with /docs and /openapi.json in front of it: local only, outside the stage."""
    # Imported here: the document imports the handler, after the function's output is set up.
    from orders_api.openapi import SECURITY_SCHEME, local_document

    docs = DocsPage(
        openapi_document=local_document(api_url),
        idp_endpoint=idp.endpoint,
        client_id=idp.client_id,
        security_scheme=SECURITY_SCHEME,
    )
    return docs.in_front_of(api)


async def _serve_both(
    api_server: _Server,
    api_socket: socket.socket,
    idp_server: _Server,
    idp_socket: socket.socket,
    on_started: Callable[[], None],
    on_stop: Callable[[int], None],
) -> None:
    loop = asyncio.get_running_loop()
    servers = (idp_server, api_server)

    def stop(signal_number: int) -> None:
        if not any(server.should_exit for server in servers):
            on_stop(signal_number)
        for server in servers:
            if server.should_exit and signal_number == signal.SIGINT:
                server.force_exit = True  # a second Ctrl-C: stop waiting for connections
            server.should_exit = True

    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop, signal_number)
    try:
        idp_task = asyncio.create_task(idp_server.serve(sockets=[idp_socket]))
        if await _started(idp_server, idp_task):
            api_task = asyncio.create_task(api_server.serve(sockets=[api_socket]))
            if await _started(api_server, api_task):
                on_started()
            await asyncio.wait({idp_task, api_task}, return_when="FIRST_COMPLETED")
            for server in servers:
                server.should_exit = True
            await asyncio.gather(idp_task, api_task, return_exceptions=True)
        else:
            await asyncio.gather(idp_task, return_exceptions=True)
    finally:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)


async def _started(server: _Server, task: asyncio.Task[None]) -> bool:
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    return server.started


def _configure_twin_logging() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, MaskTokens) for existing in access.filters):
        access.addFilter(MaskTokens())
    twin_logger = logging.getLogger("orders_api.twin")
    if not twin_logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        twin_logger.addHandler(handler)
        twin_logger.setLevel(logging.INFO)
        twin_logger.propagate = False
