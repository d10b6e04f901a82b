"""Admin methods: managing other users, for members of the admin group only.

Every method takes the caller's ``access_token``. It is verified here against the pool's JWKS
(signature, issuer, ``token_use``, client, expiry), must carry ``ADMIN_GROUP`` in ``cognito:groups``,
and is then shown to Cognito (GetUser), which refuses a token that was signed out or revoked: a
signed-out admin's token stops working at once, not when it expires. The calls themselves are signed
with the server's AWS credentials (``server.aws_credentials``). Each attempt, allowed or not, leaves
one line in the audit log: who, which action, which target, and the outcome; never a secret.

``user`` names the user by email or by the user name Cognito assigned (the ``username`` these methods
answer): admins may name users either way, since these methods need an admin's token and cannot be
used to guess a password. ``adminCreateUser`` takes an email, which becomes the user's.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, AsyncIterator

from server.call import Call
from server.errors import ApiError
from server.registry import method
from server.user_names import Email, UserName
from handlers.photos import remove_photos_of
from handlers.accounts import attribute_list

audit_log = logging.getLogger("server.audit")

MAX_PAGE_SIZE = 60  # ListUsers' limit
MAX_AUDIT_TARGET = 256  # characters of a target kept in the audit line


class Caller:
    """Who is asking: filled in as the access token is checked."""

    def __init__(self) -> None:
        self.sub = "-"
        self.email = "-"

    def __str__(self) -> str:
        if self.email != "-":
            return f"{self.email} ({self.sub})"
        return self.sub


async def check_admin(call: Call, access_token: str | None, caller: Caller) -> None:
    if access_token is None:
        raise ApiError("MissingToken")
    claims = await call.tokens.verify_access_token(access_token)
    caller.sub = claims["sub"]
    groups = claims.get("cognito:groups")
    if not isinstance(groups, list) or call.config.admin_group not in groups:
        raise ApiError("Forbidden")
    me = await call.cognito.current_user(access_token)
    caller.email = next((a["Value"] for a in me.get("UserAttributes", []) if a["Name"] == "email"), "-")


@contextlib.asynccontextmanager
async def admin_action(call: Call, access_token: str | None, action: str, target: str) -> AsyncIterator[None]:
    """Check that the caller is an admin, run the body, and write the audit line."""
    caller = Caller()
    outcome = "InternalError"
    try:
        await check_admin(call, access_token, caller)
        yield
        outcome = "ok"
    except ApiError as error:
        outcome = error.code
        raise
    finally:
        audit_log.info(
            "admin action=%s by=%s target=%r outcome=%s request_id=%s",
            action,
            caller,
            target[:MAX_AUDIT_TARGET],
            outcome,
            call.request_id,
        )


async def admin_call(call: Call, operation: str, **params: Any) -> dict:
    return await call.admin_cognito.call(operation, UserPoolId=call.config.user_pool_id, **params)


def _time(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


def user_view(user: dict) -> dict:
    """One user as the admin methods answer it, from Cognito's UserType or AdminGetUser answer."""
    attributes = {a["Name"]: a["Value"] for a in user.get("Attributes") or user.get("UserAttributes") or []}
    return {
        "username": user.get("Username"),
        "email": attributes.get("email"),
        "status": user.get("UserStatus"),
        "enabled": user.get("Enabled"),
        "created": _time(user.get("UserCreateDate")),
        "modified": _time(user.get("UserLastModifiedDate")),
        "mfa": user.get("UserMFASettingList") or [],
        "attributes": attributes,
    }


@method("adminCreateUser")
async def admin_create_user(
    call: Call,
    user: Email,
    access_token: str | None = None,
    temp_pass: str | None = None,
    suppress_email: bool = False,
    **attributes: str,
) -> dict:
    """Create a user with a verified email and a temporary password (emailed unless suppressed);
    their first sign-in asks for a new password (respondToChallenge with ``new_pass``)."""
    user = user.strip()
    async with admin_action(call, access_token, "adminCreateUser", user):
        params: dict[str, Any] = {
            "Username": user,
            "UserAttributes": [
                {"Name": "email", "Value": user},
                {"Name": "email_verified", "Value": "true"},
                *attribute_list(attributes),
            ],
            "DesiredDeliveryMediums": ["EMAIL"],
        }
        if temp_pass is not None:
            params["TemporaryPassword"] = temp_pass
        if suppress_email:
            params["MessageAction"] = "SUPPRESS"
        response = await admin_call(call, "AdminCreateUser", **params)
    return {"user": user_view(response["User"])}


@method("adminGetUser")
async def admin_get_user(call: Call, user: UserName, access_token: str | None = None) -> dict:
    user = user.strip()
    async with admin_action(call, access_token, "adminGetUser", user):
        found = await admin_call(call, "AdminGetUser", Username=user)
        groups = await admin_call(call, "AdminListGroupsForUser", Username=user)
    return {"user": {**user_view(found), "groups": sorted(g["GroupName"] for g in groups.get("Groups", []))}}


@method("adminListUsers")
async def admin_list_users(
    call: Call,
    access_token: str | None = None,
    filter: str | None = None,
    limit: int | None = None,
    page: str | None = None,
) -> dict:
    """Users, a page at a time; ``filter`` in Cognito's syntax, e.g. ``email ^= "sam"``; ``page`` is
    the ``next_page`` of the previous answer."""
    async with admin_action(call, access_token, "adminListUsers", filter or "*"):
        if limit is not None and not 1 <= limit <= MAX_PAGE_SIZE:
            raise ApiError("InvalidField", f'The field "limit" must be between 1 and {MAX_PAGE_SIZE}.', field="limit")
        params: dict[str, Any] = {"Limit": limit or MAX_PAGE_SIZE}
        if filter:
            params["Filter"] = filter
        if page:
            params["PaginationToken"] = page
        response = await admin_call(call, "ListUsers", **params)
    return {"users": [user_view(u) for u in response.get("Users", [])], "next_page": response.get("PaginationToken")}


async def _user_action(call: Call, access_token: str | None, action: str, operation: str, user: str) -> dict:
    user = user.strip()
    async with admin_action(call, access_token, action, user):
        await admin_call(call, operation, Username=user)
    return {}


@method("adminDisableUser")
async def admin_disable_user(call: Call, user: UserName, access_token: str | None = None) -> dict:
    """Block the user's sign-in; Cognito also ends their sessions."""
    return await _user_action(call, access_token, "adminDisableUser", "AdminDisableUser", user)


@method("adminEnableUser")
async def admin_enable_user(call: Call, user: UserName, access_token: str | None = None) -> dict:
    return await _user_action(call, access_token, "adminEnableUser", "AdminEnableUser", user)


@method("adminDeleteUser", "adminDeleteAcct")
async def admin_delete_user(call: Call, user: UserName, access_token: str | None = None) -> dict:
    """Delete the user's account, then their photos."""
    user = user.strip()
    async with admin_action(call, access_token, "adminDeleteUser", user):
        found = user_view(await admin_call(call, "AdminGetUser", Username=user))
        await admin_call(call, "AdminDeleteUser", Username=user)
    await remove_photos_of(call, found["attributes"]["sub"])
    return {}


@method("adminResetPassword")
async def admin_reset_password(call: Call, user: UserName, access_token: str | None = None) -> dict:
    """Make the user choose a new password: a reset code is emailed, their password stops working."""
    return await _user_action(call, access_token, "adminResetPassword", "AdminResetUserPassword", user)


@method("adminConfirmSignUp")
async def admin_confirm_sign_up(call: Call, user: UserName, access_token: str | None = None) -> dict:
    return await _user_action(call, access_token, "adminConfirmSignUp", "AdminConfirmSignUp", user)


@method("adminSignOut")
async def admin_sign_out(call: Call, user: UserName, access_token: str | None = None) -> dict:
    """End every session of the user: their refresh tokens, and the access tokens made from them."""
    return await _user_action(call, access_token, "adminSignOut", "AdminUserGlobalSignOut", user)


async def _group_action(
    call: Call, access_token: str | None, action: str, operation: str, user: str, group: str
) -> dict:
    user = user.strip()
    async with admin_action(call, access_token, action, f"{user} group={group}"):
        await admin_call(call, operation, Username=user, GroupName=group)
    return {}


@method("adminAddUserToGroup")
async def admin_add_user_to_group(call: Call, user: UserName, group: str, access_token: str | None = None) -> dict:
    return await _group_action(call, access_token, "adminAddUserToGroup", "AdminAddUserToGroup", user, group)


@method("adminRemoveUserFromGroup")
async def admin_remove_user_from_group(call: Call, user: UserName, group: str, access_token: str | None = None) -> dict:
    return await _group_action(call, access_token, "adminRemoveUserFromGroup", "AdminRemoveUserFromGroup", user, group)
