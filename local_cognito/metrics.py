"""The local Cognito's numbers for the server's /metrics: its operations by name and outcome, and
the changes it rolled back because its data folder could not be written (``server.metrics``).

One hook, the local Cognito application's ``log_function``, which Tornado calls once each request
is answered: it reads what the answer already says (the operation asked for, the error type
answered, the status), so nothing in the pool or its transactions knows of it. The local Cognito
runs in the process that started it (with ``--processes``, the supervisor), which counts into the
same sums as the workers.
"""

from __future__ import annotations

import tornado.web

from local_cognito.pool_handler import PoolHandler
from server.metrics import instruments

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
# The status of every answer to a change that could not be stored (faults.StorageUnavailable), and
# of no other answer of the pool's handlers.
STORAGE_UNAVAILABLE_STATUS = 503


def observe(handler: tornado.web.RequestHandler) -> None:
    """Count one answered request of the local Cognito."""
    if not isinstance(handler, PoolHandler):
        return
    counters = instruments()
    if handler.get_status() == STORAGE_UNAVAILABLE_STATUS:
        counters.local_storage_failures.inc()
    target = handler.request.headers.get("X-Amz-Target", "")
    if not target:
        return  # a hosted-UI page, not an operation
    name = target.removeprefix(TARGET_PREFIX)
    # Only the names the pool serves: any other is the caller's text, not a label.
    operation = name if target.startswith(TARGET_PREFIX) and name in handler.pool.operations else "unknown"
    error_type = handler._headers.get("x-amzn-ErrorType")
    counters.local_operation(operation, error_type or ("ok" if handler.get_status() < 400 else "error"))
