"""AWS credentials for the admin calls (AdminCreateUser, ListUsers, ...), which Cognito authorises by IAM.

Three sources, in this order:

- local mode: fixed keys, because the local Cognito only needs the requests to be signed;
- ``STS_USER_CLIENT_ID`` / ``STS_USER_CLIENT_SECRET`` (the tutorial's names): an IAM user's keys,
  exchanged with STS GetSessionToken for session credentials, which are renewed before they
  expire (botocore's refreshable credentials refresh when under 15 minutes are left). STS
  GetCallerIdentity is asked first: keys that turn out to be the root account's are refused;
- otherwise the standard AWS credential chain: environment, shared profile, SSO, container or
  instance role.

Root-account keys are refused earlier, by the configuration.
"""

from __future__ import annotations

import logging

import aiobotocore.session
from aiobotocore.config import AioConfig
from aiobotocore.credentials import AioDeferredRefreshableCredentials
from botocore.credentials import CredentialProvider
from botocore.exceptions import CredentialRetrievalError

from server.aws_endpoints import IGNORE_CONFIGURED
from server.config import Config

log = logging.getLogger("server.credentials")

LOCAL_ACCESS_KEY_ID = "LOCALADMINKEY"
LOCAL_SECRET_ACCESS_KEY = "local-admin-secret"
STS_SESSION_SECONDS = 12 * 3600  # GetSessionToken's default lifetime


class StsSessionTokenProvider(CredentialProvider):
    """Session credentials from STS GetSessionToken, got on first use and renewed before expiry."""

    METHOD = "sts-get-session-token"
    CANONICAL_NAME = "StsSessionToken"

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.fetches = 0

    async def load(self) -> AioDeferredRefreshableCredentials:
        return AioDeferredRefreshableCredentials(refresh_using=self.fetch, method=self.METHOD)

    async def fetch(self) -> dict:
        self.fetches += 1
        session = aiobotocore.session.get_session()
        try:
            async with session.create_client(
                "sts",
                region_name=self.config.region,
                endpoint_url=self.config.sts_endpoint_url,
                config=AioConfig(**IGNORE_CONFIGURED),  # the endpoint is the configuration's answer
                aws_access_key_id=self.config.sts_access_key_id,
                aws_secret_access_key=self.config.sts_secret_access_key,
            ) as sts:
                identity = await sts.get_caller_identity()
                if identity["Arn"].endswith(":root"):
                    log.error(
                        "STS_USER_CLIENT_ID holds the AWS account's root keys, which this server "
                        "refuses: make an IAM user allowed only the cognito-idp admin actions, use its "
                        "keys instead, and delete the root keys."
                    )
                    raise CredentialRetrievalError(provider=self.METHOD, error_msg="root keys refused")
                answer = await sts.get_session_token(DurationSeconds=STS_SESSION_SECONDS)
        except CredentialRetrievalError:
            raise
        except Exception as error:  # whatever went wrong, admin calls answer AdminUnavailable
            log.error("STS with STS_USER_CLIENT_ID failed: %r", error)
            raise CredentialRetrievalError(provider=self.METHOD, error_msg=type(error).__name__) from None
        credentials = answer["Credentials"]
        log.info("Got STS session credentials for admin calls, good until %s", credentials["Expiration"])
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }


def admin_session(config: Config) -> aiobotocore.session.AioSession:
    """A botocore session whose clients sign admin calls with the configured credentials."""
    session = aiobotocore.session.get_session()
    if config.local:
        session.set_credentials(LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY)
    elif config.sts_access_key_id:
        session.get_component("credential_provider").insert_before("env", StsSessionTokenProvider(config))
    return session
