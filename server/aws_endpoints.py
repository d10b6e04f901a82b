"""Where the AWS services are reached (Cognito, S3, STS): decided once, at start-up, as botocore decides it.

botocore sends a client's calls to a configured endpoint when one is set, looking in this order:
the service's own variable (``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``, ``AWS_ENDPOINT_URL_S3``,
``AWS_ENDPOINT_URL_STS``), then ``AWS_ENDPOINT_URL``, then in the shared config file
(``AWS_CONFIG_FILE``, default ``~/.aws/config``) the ``endpoint_url`` of the service in the
profile's ``services`` section, then the profile's own ``endpoint_url``; none of them when
``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` (or the profile's ``ignore_configured_endpoint_urls``) is
true. The profile is ``AWS_DEFAULT_PROFILE``, else ``AWS_PROFILE``, else ``default``.

The server reaches Cognito by itself too (the pool's JWKS, and the issuer its tokens name), so it
makes that same decision here, hands the answer to its botocore clients explicitly and tells them to
ignore the configured endpoints (``IGNORE_CONFIGURED``): there is one answer to "where is Cognito",
and the token checks and the API calls cannot go to different places.

Because the answer is handed over explicitly, the server can also take a name botocore does not read:
``AWS_ENDPOINT_URL_COGNITO_IDP`` (after the service's CLI name, ``cognito-idp``), which people often
reach for and which can only mean "Cognito is there". It comes right after
botocore's own ``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``, is ignored with the configured
endpoints, and when the two name different addresses start-up stops, naming both.
"""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from typing import Any, Mapping

from botocore import configloader
from botocore.exceptions import ConfigNotFound, ConfigParseError

# botocore's client option that makes a client use only the endpoint it is given (or AWS's own).
IGNORE_CONFIGURED: dict[str, Any] = {"ignore_configured_endpoint_urls": True}

# Per service: the ending of its AWS_ENDPOINT_URL_* variable and its key in a ``services`` section
# (botocore's service id, in upper and in lower snake case).
SERVICE_NAMES = {
    "cognito-idp": ("COGNITO_IDENTITY_PROVIDER", "cognito_identity_provider"),
    "s3": ("S3", "s3"),
    "sts": ("STS", "sts"),
}
# Cognito's endpoint by a name botocore does not read (other AWS tools ignore it; this server does not).
COGNITO_IDP_VARIABLE = "AWS_ENDPOINT_URL_COGNITO_IDP"
# Endpoints on these domains are AWS itself (FIPS, dual-stack, PrivateLink names of the service).
AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


class EndpointError(Exception):
    """An endpoint setting that cannot be used; the message names it."""


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """Where one service is reached: ``url`` None means AWS's own endpoint for the region."""

    url: str | None = None
    source: str | None = None  # the setting it came from, as a person would look for it


def service_variable(service: str) -> str:
    return "AWS_ENDPOINT_URL_" + SERVICE_NAMES[service][0]


def is_aws(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return host.endswith(AWS_DOMAINS)


def checked_url(value: str, source: str) -> str:
    """An http(s) URL with nothing after its path, without a trailing slash."""
    value = value.strip()
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise EndpointError(f"{source} must be an http:// or https:// address with no query, got {value!r}.")
    try:
        _ = parts.port  # reading it is what checks it
    except ValueError:
        raise EndpointError(f"{source} has a port that is not a number: {value!r}.") from None
    return value.rstrip("/")


def service_variables(service: str) -> tuple[str, ...]:
    """The variables that place ``service`` alone, in the order they count: botocore's, then (for
    Cognito) the one only this server reads."""
    if service == "cognito-idp":
        return service_variable(service), COGNITO_IDP_VARIABLE
    return (service_variable(service),)


class ConfiguredEndpoints:
    """The endpoint settings of one environment, and the shared config file's profile."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self._profile: dict | None = None
        self._services: dict | None = None

    @property
    def config_file(self) -> str:
        return os.path.expanduser(self.env.get("AWS_CONFIG_FILE") or "~/.aws/config")

    @property
    def profile_name(self) -> str:
        return self.env.get("AWS_DEFAULT_PROFILE") or self.env.get("AWS_PROFILE") or "default"

    def _load(self) -> tuple[dict, dict]:
        """The profile's section and its services section (empty when it names none), read once."""
        if self._profile is not None and self._services is not None:
            return self._profile, self._services
        try:
            loaded = configloader.load_config(self.config_file)
        except ConfigNotFound:
            loaded = {}
        except ConfigParseError as error:
            raise EndpointError(f"The AWS config file {self.config_file} cannot be read: {error}") from None
        self._profile = loaded.get("profiles", {}).get(self.profile_name, {})
        self._services = {}
        section = self._profile.get("services")
        if section:
            if section not in loaded.get("services", {}):
                raise EndpointError(
                    f"The profile {self.profile_name!r} in {self.config_file} names the "
                    f"services section {section!r}, which that file does not have."
                )
            self._services = loaded["services"][section]
        return self._profile, self._services

    @property
    def ignored(self) -> bool:
        """AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, else the profile's setting (true or not, as botocore reads it)."""
        if "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" in self.env:
            return self.env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"].strip().lower() == "true"
        profile, _ = self._load()
        return str(profile.get("ignore_configured_endpoint_urls", "")).strip().lower() == "true"

    def configured(self, service: str) -> Endpoint:
        """The endpoint botocore would use for ``service`` (AWS's own when none is configured); for
        Cognito, AWS_ENDPOINT_URL_COGNITO_IDP counts too, right after botocore's own variable."""
        if self.ignored:
            return Endpoint()
        own = [
            Endpoint(checked_url(self.env[name], name), name)
            for name in service_variables(service)
            if self.env.get(name)
        ]
        if len({endpoint.url for endpoint in own}) > 1:
            first, second = own[:2]
            raise EndpointError(
                f"{first.source} ({first.url}) and {second.source} ({second.url}) both say where Cognito is, "
                f"and they differ: set only {first.source} (which other AWS tools read too), or both to the "
                "same address."
            )
        if own:
            return own[0]
        if self.env.get("AWS_ENDPOINT_URL"):
            return Endpoint(checked_url(self.env["AWS_ENDPOINT_URL"], "AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL")
        profile, services = self._load()
        section = "[default]" if self.profile_name == "default" else f"[profile {self.profile_name}]"
        where = f"{section} of {self.config_file}"
        key = SERVICE_NAMES[service][1]
        in_section = services.get(key)
        if isinstance(in_section, dict) and in_section.get("endpoint_url"):
            source = f"{key}.endpoint_url in the services section {profile['services']!r} of {where}"
            return Endpoint(checked_url(in_section["endpoint_url"], source), source)
        if profile.get("endpoint_url"):
            source = f"endpoint_url in {where}"
            return Endpoint(checked_url(profile["endpoint_url"], source), source)
        return Endpoint()
