"""The embedded local Cognito: a user pool on loopback, built on moto, for running with no AWS account.

``start_local_cognito(config)`` starts it and answers the configuration completed with its pool,
app client, secret and endpoint. It refuses to start when a real pool is configured. With
``LOCAL_ADMIN_EMAIL`` and ``LOCAL_ADMIN_PASSWORD`` set it first makes sure that user exists,
confirmed, with that password, in the ``ADMIN_GROUP`` group.
"""

from __future__ import annotations

import dataclasses
import os
import secrets

from server.config import Config
from server.local_cognito.endpoint import LocalCognito
from server.local_cognito.service import LocalUserPool



def _local_cookie_secret(folder: str) -> str:
    """A cookie secret kept beside the pool, so signed-in browsers stay signed in across restarts."""
    path = os.path.join(folder, "cookie-secret")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        secret = secrets.token_urlsafe(48)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secret)
        return secret


def start_local_cognito(config: Config, *, port: int = 0,
                        access_token_seconds: int = 3600) -> tuple[LocalCognito, Config]:
    if not config.local:
        raise RuntimeError("the local Cognito never starts when a real user pool is configured")
    pool = LocalUserPool(config.local_data_dir, pinned_code=config.local_code,
                         access_token_seconds=access_token_seconds)
    if config.local_admin_email and config.local_admin_password:  # the configuration asks for both or neither
        pool.ensure_admin(config.local_admin_email, config.local_admin_password, config.admin_group)
    local = LocalCognito(pool, port=port).start()
    completed = dataclasses.replace(
        config,
        user_pool_id=pool.pool_id,
        client_id=pool.client_id,
        client_secret=pool.client_secret,
        endpoint_url=local.endpoint_url,
        cookie_secrets=config.cookie_secrets or (_local_cookie_secret(config.local_data_dir),),
    )
    return local, completed
