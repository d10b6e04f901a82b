"""The embedded local Cognito: a user pool on loopback, built on moto, for running with no AWS account.

``start_local_cognito(config)`` starts it on ``LOCAL_COGNITO_PORT`` and answers the configuration
completed with its pool, app client, secret, endpoint and hosted-UI URL. It refuses to start when a
real pool is configured. With ``LOCAL_ADMIN_EMAIL`` and ``LOCAL_ADMIN_PASSWORD`` set it first makes
sure that user exists, confirmed, with that password, in the ``ADMIN_GROUP`` group.

The app client's hosted-UI settings come from the configuration at every start (not from the saved
pool), so a changed ``PORT`` or ``BASE_URL`` takes effect at once: its callback URL is
``{BASE_URL}/callback`` and its sign-out URL ``{BASE_URL}/``. So does its refresh-token rotation
(``LOCAL_COGNITO_REFRESH_ROTATION``, ``LOCAL_COGNITO_ROTATION_GRACE_SECONDS``), the sign-in flows
it allows (``LOCAL_COGNITO_AUTH_FLOWS``), and whether it offers the Login with Amazon stand-in
(``LOCAL_COGNITO_LOGIN_WITH_AMAZON``, on by default).

When another process already runs a local Cognito over the same data folder, this one joins it
(see ``sharing``): the pool, client and hosted-UI settings are then that process's.

``python -m local_cognito`` serves it alone, for any app (``standalone.py``): on a port of its
choosing, with the hosted-UI URLs of that app, printing what the app's SDK needs.

moto keeps the pool and its app client, and its user and group objects are the pool's users and
groups, made from the pool's database as they are needed (``user_table.py``). Where moto falls short of Cognito for
the calls this backend makes, the local pool does what Cognito does:

- SECRET_HASH is checked on every flow (moto skips it for SignUp and USER_PASSWORD_AUTH); for
  REFRESH_TOKEN_AUTH it must be computed with the user name Cognito assigned (the ``sub``).
- Confirmation and reset codes are random (or ``LOCAL_COGNITO_CODE``), expire, are sent to the
  console log, and are checked (moto accepts any code).
- DeleteUser, ResendConfirmationCode, RevokeToken and GetTokensFromRefreshToken exist (moto lacks
  them), and the app client can rotate refresh tokens as Cognito's does; see ``refresh_tokens.py``.
- Tokens are JWTs signed with the pool's own key; access tokens are checked by signature, expiry and
  revocation (moto only remembers the strings it issued, and forgets them on restart).
- The app client has PreventUserExistenceErrors enabled: an unknown user signs in like a wrong
  password, and code requests for one (or for a disabled user) answer with a simulated delivery;
  every code request and refused code writes to the database, account or not.
- Emails are compared as a pool with ``CaseSensitive: false`` compares them: ASCII letters in any
  case, every other character exactly (moto compares nothing without regard to case). A user name is
  checked against Cognito's UsernameType before any operation (``validation.py``).
- A new email waits for its code before it replaces the old one (AttributesRequireVerificationBeforeUpdate;
  ``attribute_updates.py``), and SMS and email MFA codes go to the console log like its emails
  (``mfa_codes.py``), as far as the pool allows them (``mfa_methods.py``).
- SRP sign-in (USER_SRP_AUTH, PASSWORD_VERIFIER) checks the client's proof against a verifier kept
  with each password (moto answers a random SRP_B and accepts any proof); see ``srp.py``.
- Device tracking (LOCAL_COGNITO_DEVICE_TRACKING): NewDeviceMetadata, ConfirmDevice and the other
  device operations, and DEVICE_SRP_AUTH in place of the MFA step for a remembered device, its
  claim checked against the device's verifier (moto has none of it); see ``devices.py``.
- TOTP MFA has a random secret per user, verified codes, a check against reusing a time step, and
  sign-in challenges with one-use sessions that expire (moto gives everyone one fixed secret and
  accepts any code); see ``mfa.py`` and ``sign_in.py``.
- The admin operations work on the pool's own user records, need a SigV4-signed request, and send
  invitations and reset codes to the console log; see ``admin.py``.
- The app client is also an OAuth 2.0 / OpenID Connect client of the pool's hosted UI: authorization
  codes with PKCE, the token and userInfo answers, and hosted-UI sessions; see ``oauth/`` (and
  ``hosted_ui.py`` for its pages). It federates to a stand-in for Login with Amazon, served beside
  it, as Cognito federates to Amazon's: see ``federation.py`` (the federated users),
  ``hosted_federation.py`` (``/oauth2/idpresponse``) and ``amazon_stand_in.py``.
- Choice-based sign-in (InitiateAuth's USER_AUTH flow) with emailed codes (EMAIL_OTP) and passkeys
  (WEB_AUTHN), verified with py_webauthn and kept per user with their sign counters; the WebAuthn
  credential operations and GetUserAuthFactors, which moto lacks. Each way is refused when the pool's
  feature plan (LOCAL_COGNITO_FEATURE_PLAN), its first factors (LOCAL_COGNITO_FIRST_AUTH_FACTORS) or
  the app client does not allow it, as Cognito refuses it; the relying party id is BASE_URL's host.
  See ``sign_in_ways.py``, ``user_auth.py`` and ``passkeys.py``.
- The pool's schema requires the attributes ``LOCAL_COGNITO_REQUIRED_ATTRIBUTES`` names (moto
  keeps the setting but checks nothing): SignUp refuses a user without them, and an admin-created
  user gives them in answer to NEW_PASSWORD_REQUIRED, as Cognito asks; see ``schema.py``.
- Users, their password hashes, TOTP secrets, groups, pending codes and refresh tokens are kept in
  an SQLite database in the data folder, one row each: a change is committed before it is answered,
  and a change that cannot be (the data folder cannot be written) is rolled back and answered 503
  (``transaction.py``). Passwords are scrypt hashes, checked off the event loop, and a correct one
  checked again is not hashed again (``passwords.py``).

The modules:

- ``service.py``: ``LocalUserPool``, the pool with its operation groups and the table of the
  operations the endpoint serves.
- ``pool.py``: ``UserPool``, the core every operation group builds on: its records, user lookup, the shared checks (SECRET_HASH, passwords, access tokens), codes,
  and the tokens of a completed sign-in.
- The operation groups, each given the core: ``accounts.py`` (sign-up, passwords, the user's own
  account), ``sign_in.py`` (InitiateAuth and the challenges, sign-out), ``srp.py`` (SRP sign-in),
  ``refresh_tokens.py`` (renewing, rotating and revoking refresh tokens), ``mfa.py`` (TOTP set-up,
  SetUserMFAPreference), ``mfa_codes.py`` (SMS and email MFA, SELECT_MFA_TYPE),
  ``attribute_updates.py`` (a user's own attributes, and verifying emails and phone numbers),
  ``user_auth.py`` (USER_AUTH and its challenges, GetUserAuthFactors), ``passkeys.py`` (WebAuthn
  credentials), ``devices.py`` (remembered devices),
  ``admin.py`` (the IAM-authorised operations, and the local admin), ``oauth/`` (the hosted UI's
  OAuth 2.0 side and its sign-in steps), ``federation.py`` (users made by a sign-in through an
  identity provider).
- Over HTTP: ``endpoint.py`` (the cognito-idp JSON protocol and the JWKS, on a thread of its own),
  ``hosted_ui.py`` and ``pages.py`` (the hosted UI's endpoints and pages), ``hosted_federation.py``
  (to an identity provider and back at ``/oauth2/idpresponse``), ``amazon_stand_in.py`` (the Login
  with Amazon stand-in, its page and endpoints), ``pool_handler.py`` (each
  request one transaction; the data folder's readiness), ``password_work.py`` (the scrypt work of a
  request, done before its transaction).
- Keeping changes: ``transaction.py`` (all or nothing: commit or roll back), ``database.py`` (the
  SQLite database), ``tables.py`` and ``user_table.py`` (its records, read and written row by row),
  ``user_extras.py`` (what a user's record keeps beside moto's fields: SRP verifier, pending
  attribute values, SMS and email MFA choices),
  ``migration.py`` (a folder's ``state.json`` from before the database, moved in) and ``state.py``
  (the records in that file's shape).
- Beneath them: ``store.py`` (the data folder), ``passwords.py`` (scrypt hashes), ``tokens.py`` (the
  signing key and the JWTs), ``clock.py`` (the pool's clock, which may be set ahead of or behind
  ours: LOCAL_COGNITO_CLOCK_OFFSET), ``totp.py`` (TOTP codes),
  ``mfa_methods.py`` (the MFA methods, and users' choices), ``faults.py`` (Cognito's error answers),
  ``schema.py`` (the attributes, and which ones the pool requires), ``validation.py`` (the user-name
  check every operation makes first),
  ``pool_settings.py`` (the pool's fixed settings), ``sign_in_ways.py`` (which ways of signing in
  it allows) and ``sharing.py`` (one local Cognito per data
  folder).
- On its own: ``standalone.py`` (its options and settings, what it prints, running until stopped),
  started by ``__main__.py``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Iterator

from local_cognito.amazon_stand_in import LOGIN_WITH_AMAZON_SECRET
from local_cognito.clock import ShiftedClock
from local_cognito.federation import LOGIN_WITH_AMAZON
from local_cognito.endpoint import LocalCognito
from local_cognito.faults import StorageUnavailable
from local_cognito.hosted_ui import HOSTED_UI_SECRET
from local_cognito.pages import Branding
from local_cognito.service import LocalUserPool
from local_cognito.sharing import FolderClaim, JoinedLocalCognito, running_details
from local_cognito.sign_in_ways import relying_party_id
from local_cognito.store import DataFolderUnusable
from server.config import Config
from server.page_identity import favicon

COOKIE_SECRET = "cookie-secret"  # the data folder's file with the server's cookie secret in local mode


def start_local_cognito(
    config: Config,
    *,
    port: int | None = None,
    access_token_seconds: int = 3600,
    host: str = "127.0.0.1",
    url: str | None = None,
    hosted_ui: HostedUiUrls | None = None,
) -> tuple[LocalCognito | JoinedLocalCognito, Config]:
    """Start it on ``port`` (default ``config.local_cognito_port``; 0 is any free port), or join
    the one another process runs over the same data folder. Its clock is ours moved by
    ``config.local_cognito_clock_offset`` (``local.pool.clock.offset`` changes it while it runs).
    It listens on ``host`` and is reached at ``url`` (default: where it listens); its app client's
    hosted-UI URLs are ``hosted_ui``'s (default: the server's, from ``config.base_url``).
    DataFolderUnusable when the data folder cannot be made, read or written."""
    if not config.local:
        raise RuntimeError("the local Cognito never starts when a real user pool is configured")
    folder = config.local_data_dir
    claim = FolderClaim(folder)
    with _using(folder):
        if not claim.acquire():
            details = running_details(claim)
            if details is not None:
                return JoinedLocalCognito(details), _completed(config, details)
    local = None
    try:
        with _using(folder):
            pool = _pool(config, access_token_seconds, _servers_hosted_ui(config) if hosted_ui is None else hosted_ui)
        # The hosted UI's pages show the app's name (APP_NAME, by default the page's) and its icon.
        branding = Branding(name=config.app_name, icon=favicon())
        local = LocalCognito(
            pool, port=config.local_cognito_port if port is None else port, branding=branding, host=host, url=url
        ).start()
        details = {
            "user_pool_id": pool.pool_id,
            "client_id": pool.client_id,
            "client_secret": pool.client_secret,
            "endpoint_url": local.endpoint_url,
            "cookie_secret": pool.store.secret(COOKIE_SECRET),
            "callback_urls": pool.oauth.oauth_settings.callback_urls,
        }
        with _using(folder):
            claim.publish(details)
    except BaseException:
        if local is not None:
            local.stop()
        claim.release()
        raise
    local.on_stop(claim.release)
    return local, _completed(config, details)


@contextlib.contextmanager
def _using(folder: str) -> Iterator[None]:
    """The data folder's failures (its files, the local admin's save) as DataFolderUnusable."""
    try:
        yield
    except StorageUnavailable as failure:
        raise DataFolderUnusable(folder, failure.error) from None
    except OSError as error:
        raise DataFolderUnusable(folder, error) from None


def _completed(config: Config, details: dict) -> Config:
    return dataclasses.replace(
        config,
        user_pool_id=details["user_pool_id"],
        client_id=details["client_id"],
        client_secret=details["client_secret"],
        endpoint_url=details["endpoint_url"],
        hosted_ui_url=details["endpoint_url"],
        # A cookie secret kept beside the pool, so signed-in browsers stay signed in across restarts.
        cookie_secrets=config.cookie_secrets or (details["cookie_secret"],),
    )


@dataclasses.dataclass(frozen=True)
class HostedUiUrls:
    """Where the hosted UI may send people back to: after a sign-in, and after a sign-out."""

    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()


def _servers_hosted_ui(config: Config) -> HostedUiUrls:
    if not config.base_url:
        return HostedUiUrls()
    return HostedUiUrls((f"{config.base_url}/callback",), (f"{config.base_url}/",))


def _pool(config: Config, access_token_seconds: int, hosted_ui: HostedUiUrls) -> LocalUserPool:
    """The pool, with this start's settings, its local admin, and every file it needs in the data
    folder made now, so a folder that cannot be written stops the start here."""
    pool = LocalUserPool(
        config.local_data_dir,
        pinned_code=config.local_code,
        access_token_seconds=access_token_seconds,
        clock=ShiftedClock(config.local_cognito_clock_offset),
        required_attributes=config.local_required_attributes,
    )
    if hosted_ui.callback_urls or hosted_ui.logout_urls:
        providers = ("COGNITO", LOGIN_WITH_AMAZON) if config.local_login_with_amazon else ("COGNITO",)
        pool.oauth.configure_hosted_ui(
            callback_urls=hosted_ui.callback_urls, logout_urls=hosted_ui.logout_urls, identity_providers=providers
        )
    # The sign-in flows its app client allows (LOCAL_COGNITO_AUTH_FLOWS), and REFRESH_TOKEN_AUTH, which
    # the rotation's setting then takes away when refresh tokens rotate, as Cognito does.
    pool.client.extended_config["ExplicitAuthFlows"] = [
        *(f"ALLOW_{flow}" for flow in config.local_auth_flows),
        "ALLOW_REFRESH_TOKEN_AUTH",
    ]
    pool.refresh.configure_rotation(config.local_refresh_rotation, config.local_rotation_grace_seconds)
    pool.configure_account_features(email_updates=config.local_email_updates, mfa_methods=config.local_mfa_methods)
    pool.devices.configure(config.local_device_tracking)
    # Choice-based sign-in: the plan and first factors configured, passkeys for BASE_URL's host.
    pool.sign_in_ways.feature_plan = config.local_feature_plan
    pool.sign_in_ways.first_factors = config.local_first_auth_factors
    pool.sign_in_ways.relying_party_id = relying_party_id(config.base_url)
    if config.local_admin_email and config.local_admin_password:  # the configuration asks for both or neither
        pool.admin.ensure_admin(config.local_admin_email, config.local_admin_password, config.admin_group)
    for name in (COOKIE_SECRET, HOSTED_UI_SECRET, LOGIN_WITH_AMAZON_SECRET):
        pool.store.secret(name)
    return pool
