"""The local Cognito's OAuth 2.0 endpoints for the app's server, beside the hosted UI's pages on its
host: ``POST /oauth2/token``, ``GET``/``POST /oauth2/userInfo`` and the OpenID Connect discovery
document ``GET /{pool}/.well-known/openid-configuration``. JSON answers; OAuth errors as ``error``
and ``error_description``. ``hosted_ui.py`` serves them with its pages.
"""

from __future__ import annotations

import json
from typing import Any

import tornado.web

from local_cognito.faults import StorageUnavailable
from local_cognito.oauth.errors import OAuthError
from local_cognito.pool_handler import UNSAVED, PoolHandler


class JsonHandler(PoolHandler):
    """An endpoint for the app's server: JSON answers, OAuth errors as ``error`` and
    ``error_description``."""

    def initialize(self, ui: Any) -> None:  # hosted_ui.HostedUi: its pool and base URL
        self.ui = ui
        self.pool = ui.pool

    def check_xsrf_cookie(self) -> None:  # called by servers, authenticated by client secret or token
        pass

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json;charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Pragma", "no-cache")

    def fail(self, fault: OAuthError) -> None:
        self.set_status(fault.status)
        self.finish(json.dumps({"error": fault.error, "error_description": fault.description}))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish(json.dumps({"error": "server_error" if status_code >= 500 else "invalid_request"}))

    def write_storage_unavailable(self, failure: StorageUnavailable) -> None:
        # RFC 6749 defines temporarily_unavailable for the authorization endpoint only; it says
        # what happened here too, and the server's /callback maps it to LocalStorageUnavailable.
        self.write(json.dumps({"error": "temporarily_unavailable", "error_description": UNSAVED}))


class TokenHandler(JsonHandler):
    def post(self) -> None:
        self.set_header("Access-Control-Allow-Origin", "*")  # as Cognito's token endpoint
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            if content_type != "application/x-www-form-urlencoded":
                raise OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
            try:
                form = {
                    name: [value.decode("utf-8") for value in values]
                    for name, values in self.request.body_arguments.items()
                }
            except UnicodeDecodeError:
                raise OAuthError("invalid_request", "The request body is not UTF-8") from None
            answer = self.pool.oauth.token_answer(form, self.request.headers.get("Authorization"))
        except OAuthError as fault:
            self.fail(fault)
            return
        self.finish(json.dumps(answer))


class UserInfoHandler(JsonHandler):
    def get(self) -> None:
        try:
            answer = self.pool.oauth.user_info(self.request.headers.get("Authorization"))
        except OAuthError as fault:
            self.set_header(
                "WWW-Authenticate", f'Bearer error="{fault.error}", error_description="{fault.description}"'
            )
            self.fail(fault)
            return
        self.finish(json.dumps(answer))

    post = get


class OpenIdConfigurationHandler(JsonHandler):
    def get(self, pool_id: str) -> None:
        if pool_id != self.pool.pool_id:
            raise tornado.web.HTTPError(404)
        self.finish(json.dumps(self.pool.oauth.openid_configuration(self.ui.base_url)))
