"""The local Cognito's admin operations: users and groups as an administrator sees them.

Cognito authorises these with IAM, so they need a SigV4-signed request (``needs_signature``; the
HTTP layer refuses an unsigned one with MissingAuthenticationTokenException and does not check the
signature). They work on the pool's own user records (keyed by ``sub``, found by sub or email),
check ``UserPoolId``, and say UserNotFoundException for an unknown user: admin calls may reveal
who exists. Invitations and reset codes go to the console log, like every other local email.

``ensure_admin`` makes the local admin from the configuration at start-up.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import itertools
import re
from typing import Any, Callable, Iterable

from moto.cognitoidp.models import CognitoIdpGroup, CognitoIdpUser, UserStatus

from local_cognito.faults import CognitoFault, invalid_parameter, not_authorized
from local_cognito.pool import UserPool
from local_cognito.pool_settings import EMAIL, RESET_CODE_SECONDS, TEMPORARY_PASSWORD_DAYS
from local_cognito.srp import ensure_verifier, keep_verifier
from local_cognito.store import as_timestamp
from server.config import ConfigError
from server.user_names import fold_case

log = logging.getLogger("local_cognito")

# Besides every operation whose name starts with "Admin".
SIGNED_OPERATIONS = frozenset({"ListUsers", "CreateGroup", "GetGroup", "ListGroups", "DescribeUserPoolClient"})
MAX_PAGE = 60  # ListUsers, ListGroups and AdminListGroupsForUser: at most 60, and 60 by default
# ListUsers' filter: `name = "value"` (exact) or `name ^= "value"` (starts with); \" and \\ escape.
USER_FILTER = re.compile(r'^\s*(?P<name>[\w:]+)\s*(?P<op>\^?=)\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*$')
FILTERABLE_ATTRIBUTES = frozenset(
    {
        "username",
        "email",
        "phone_number",
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "cognito:user_status",
        "status",
        "sub",
    }
)


def needs_signature(operation: str) -> bool:
    """Whether Cognito authorises ``operation`` with IAM (and so needs a SigV4-signed request)."""
    return operation.startswith("Admin") or operation in SIGNED_OPERATIONS


def _page_token(key: tuple) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _after_token(token: Any) -> tuple:
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (AttributeError, binascii.Error, UnicodeError, ValueError):
        raise invalid_parameter("Invalid pagination token.") from None
    if not (isinstance(key, list) and len(key) == 2 and isinstance(key[0], (int, float)) and isinstance(key[1], str)):
        raise invalid_parameter("Invalid pagination token.")
    return tuple(key)


def _limit(limit: Any) -> int:
    if limit is None:
        return MAX_PAGE
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise invalid_parameter(f"Limit must be between 1 and {MAX_PAGE}.")
    return limit


def _page(items: Iterable, key: Callable[[Any], tuple], limit: Any, token: Any) -> tuple[list, str | None]:
    """One page of ``items`` in ``key`` order, and the token for the next (None on the last)."""
    limit = _limit(limit)
    ordered = sorted(items, key=key)
    if token is not None:
        after = _after_token(token)
        ordered = [item for item in ordered if key(item) > after]
    page = ordered[:limit]
    return page, (_page_token(key(page[-1])) if len(ordered) > limit else None)


def _group_order(group: CognitoIdpGroup) -> tuple:
    return (as_timestamp(group.creation_date), group.group_name)


class AdminOperations:
    """The IAM-authorised operations on the pool's users and groups, and the local admin."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool

    # --- shared by the admin operations -----------------------------------------------------------

    def _check_pool(self, params: dict) -> None:
        if params.get("UserPoolId") != self.pool.pool_id:
            raise CognitoFault("ResourceNotFoundException", f"User pool {params.get('UserPoolId')} does not exist.")

    def _admin_user(self, params: dict) -> CognitoIdpUser:
        self._check_pool(params)
        user = self.pool.find_user(params.get("Username"))
        if user is None:
            raise CognitoFault("UserNotFoundException", "User does not exist.")
        return user

    def _group(self, name: Any) -> CognitoIdpGroup:
        group = self.pool.groups.get(name) if isinstance(name, str) else None
        if group is None:
            raise CognitoFault("ResourceNotFoundException", "Group not found.")
        return group

    @staticmethod
    def _user_type(user: CognitoIdpUser, attributes_key: str = "Attributes", names: list[str] | None = None) -> dict:
        return {
            "Username": user.username,
            attributes_key: [
                {"Name": k, "Value": v} for k, v in user.attribute_lookup.items() if names is None or k in names
            ],
            "UserCreateDate": as_timestamp(user.create_date),
            "UserLastModifiedDate": as_timestamp(user.last_modified_date),
            "Enabled": user.enabled,
            "UserStatus": user.status.value,
        }

    @staticmethod
    def _group_type(group: CognitoIdpGroup) -> dict:
        answer = {
            "GroupName": group.group_name,
            "UserPoolId": group.user_pool_id,
            "Description": group.description,
            "CreationDate": as_timestamp(group.creation_date),
            "LastModifiedDate": as_timestamp(group.last_modified_date),
        }
        if group.precedence is not None:
            answer["Precedence"] = group.precedence
        if group.role_arn:
            answer["RoleArn"] = group.role_arn
        return answer

    def _invite(self, user: CognitoIdpUser, temporary_password: str) -> None:
        # The local mail carries the password, as Cognito's invitation email does.
        self.pool.send_email(
            user.attribute_lookup.get("email", ""), "your temporary password is %s", temporary_password
        )

    def _set_temporary_password(self, user: CognitoIdpUser, password: str) -> None:
        user.password = self.pool.passwords.hash(password)
        keep_verifier(self.pool, user, password)
        self.pool.temporary_passwords[user.id] = self.pool.clock() + TEMPORARY_PASSWORD_DAYS * 24 * 3600

    # --- users --------------------------------------------------------------------------------------

    def admin_create_user(self, params: dict) -> dict:
        self._check_pool(params)
        action = params.get("MessageAction")
        if action not in (None, "SUPPRESS", "RESEND"):
            raise invalid_parameter("MessageAction must be RESEND or SUPPRESS.")
        mediums = params.get("DesiredDeliveryMediums") or ["EMAIL"]
        if mediums != ["EMAIL"]:
            raise invalid_parameter("This user pool sends invitations by EMAIL only.")
        temporary = params.get("TemporaryPassword")
        if temporary is not None:
            self.pool.check_password_policy(temporary)
        else:
            temporary = self.pool.passwords.temporary_password()  # within the policy
        if action == "RESEND":
            user = self._admin_user(params)
            if user.status is not UserStatus.FORCE_CHANGE_PASSWORD:
                raise CognitoFault(
                    "UnsupportedUserStateException",
                    f"Resend not possible. {user.id} status is not FORCE_CHANGE_PASSWORD",
                )
            self._set_temporary_password(user, temporary)
            self._invite(user, temporary)
            self.pool.save()
            return {"User": self._user_type(user)}
        username = params.get("Username")
        if not isinstance(username, str) or not EMAIL.match(username):
            raise invalid_parameter("Username should be an email.")
        # Required attributes may be left out: the user gives them with the new password (schema.py).
        attributes = self.pool.checked_attributes(params.get("UserAttributes"))
        if fold_case(attributes.get("email", username)) != fold_case(username):
            raise invalid_parameter("The email attribute must be the user name.")
        if attributes.setdefault("email_verified", "false") not in ("true", "false"):
            raise invalid_parameter("email_verified must be true or false.")
        if self.pool.find_user(username) is not None:
            raise CognitoFault("UsernameExistsException", "User account already exists")
        attributes["email"] = username
        user = CognitoIdpUser(
            self.pool.pool_id,
            None,
            None,
            UserStatus.FORCE_CHANGE_PASSWORD,
            [{"Name": k, "Value": v} for k, v in attributes.items()],
        )
        self._set_temporary_password(user, temporary)
        self.pool.users[user.username] = user
        if action != "SUPPRESS":
            self._invite(user, temporary)
        self.pool.save()
        return {"User": self._user_type(user)}

    def admin_get_user(self, params: dict) -> dict:
        user = self._admin_user(params)
        return dict(
            self._user_type(user, attributes_key="UserAttributes"), MFAOptions=[], **self.pool.mfa_settings(user)
        )

    def list_users(self, params: dict) -> dict:
        self._check_pool(params)
        names = params.get("AttributesToGet")
        if names is not None:
            if not isinstance(names, list) or any(not isinstance(n, str) for n in names):
                raise invalid_parameter("AttributesToGet must be a list of attribute names.")
            self.pool.checked_attributes([{"Name": n, "Value": ""} for n in names if n != "sub"])
        matches = self._user_filter(params.get("Filter"))
        limit = _limit(params.get("Limit"))
        token = params.get("PaginationToken")
        # In (creation time, sub) order, from the database: only the users answered are read whole.
        found = list(
            itertools.islice(
                self.pool.users.in_order(None if token is None else _after_token(token), matches), limit + 1
            )
        )
        answer: dict[str, Any] = {"Users": [self._user_type(user, names=names) for _, user in found[:limit]]}
        if len(found) > limit:
            answer["PaginationToken"] = _page_token(found[limit - 1][0])
        return answer

    @staticmethod
    def _user_filter(text: Any) -> Callable[[str, dict], bool]:
        """Whether a user (their sub, and their record's fields: ``user_table.user_fields``) passes."""
        if text is None or (isinstance(text, str) and not text.strip()):
            return lambda sub, fields: True
        found = USER_FILTER.match(text) if isinstance(text, str) else None
        if found is None or found["name"] not in FILTERABLE_ATTRIBUTES:
            raise invalid_parameter("Error while parsing filter.")
        name, prefix = found["name"], found["op"] == "^="
        wanted = re.sub(r"\\(.)", r"\1", found["value"])
        # Documented: username and status are case-sensitive, cognito:user_status is not. Emails are
        # not case-sensitive in this pool, so neither is their filter: ASCII letters, as the pool
        # compares emails (``fold_case``).
        fold = name in ("cognito:user_status", "email")

        def value_of(sub: str, fields: dict) -> str | None:
            if name in ("username", "sub"):  # the user name is the sub in this pool
                return sub
            if name == "cognito:user_status":
                return UserStatus[fields["status"]].value
            if name == "status":
                return "Enabled" if fields["enabled"] else "Disabled"
            return fields["attributes"].get(name)

        def matches(sub: str, fields: dict) -> bool:
            value = value_of(sub, fields)
            if value is None:
                return False
            have, want = (fold_case(value), fold_case(wanted)) if fold else (value, wanted)
            return have.startswith(want) if prefix else have == want

        return matches

    def admin_disable_user(self, params: dict) -> dict:
        user = self._admin_user(params)
        user.enabled = False
        user.last_modified_date = self.pool.now()
        self.pool.revoke_user_tokens(user.id)  # as Cognito does: a disabled user's sessions end
        self.pool.save()
        return {}

    def admin_enable_user(self, params: dict) -> dict:
        user = self._admin_user(params)
        user.enabled = True
        user.last_modified_date = self.pool.now()
        self.pool.save()
        return {}

    def admin_delete_user(self, params: dict) -> dict:
        self.pool.remove_user(self._admin_user(params))
        self.pool.save()
        return {}

    def admin_reset_user_password(self, params: dict) -> dict:
        user = self._admin_user(params)
        if user.status in (UserStatus.UNCONFIRMED, UserStatus.FORCE_CHANGE_PASSWORD):
            raise not_authorized("User password cannot be reset in the current state.")
        if user.attribute_lookup.get("email_verified") != "true":
            raise invalid_parameter(
                "Cannot reset password for the user as there is no registered/verified email or phone_number"
            )
        user.status = UserStatus.RESET_REQUIRED
        user.last_modified_date = self.pool.now()
        self.pool.send_code(user, "reset", RESET_CODE_SECONDS)
        self.pool.save()
        return {}

    def admin_confirm_sign_up(self, params: dict) -> dict:
        user = self._admin_user(params)
        if user.status is not UserStatus.UNCONFIRMED:
            raise not_authorized(f"User cannot be confirmed. Current status is {user.status.value}")
        user.status = UserStatus.CONFIRMED
        user.last_modified_date = self.pool.now()
        self.pool.codes.pop(f"signup:{user.id}", None)
        self.pool.save()
        return {}

    def admin_user_global_sign_out(self, params: dict) -> dict:
        user = self._admin_user(params)
        self.pool.revoke_user_tokens(user.id)  # and so the access tokens issued with them
        self.pool.save()
        return {}

    # --- groups -------------------------------------------------------------------------------------

    def create_group(self, params: dict) -> dict:
        self._check_pool(params)
        name = params.get("GroupName")
        if not isinstance(name, str) or not 1 <= len(name) <= 128 or not name.strip():
            raise invalid_parameter("GroupName must be 1 to 128 characters.")
        precedence = params.get("Precedence")
        if precedence is not None and (
            isinstance(precedence, bool) or not isinstance(precedence, int) or precedence < 0
        ):
            raise invalid_parameter("Precedence must be a whole number from 0.")
        description = params.get("Description")
        if description is not None and (not isinstance(description, str) or len(description) > 2048):
            raise invalid_parameter("Description must be a string of at most 2048 characters.")
        if name in self.pool.groups:
            raise CognitoFault("GroupExistsException", "A group with the name already exists.")
        group = CognitoIdpGroup(self.pool.pool_id, name, description, params.get("RoleArn"), precedence)
        group.creation_date = group.last_modified_date = self.pool.now()
        self.pool.groups[name] = group
        self.pool.save()
        return {"Group": self._group_type(group)}

    def get_group(self, params: dict) -> dict:
        self._check_pool(params)
        return {"Group": self._group_type(self._group(params.get("GroupName")))}

    def list_groups(self, params: dict) -> dict:
        self._check_pool(params)
        return self._group_page(self.pool.groups.values(), params)

    def admin_add_user_to_group(self, params: dict) -> dict:
        user = self._admin_user(params)
        self.pool.link(user, self._group(params.get("GroupName")))
        self.pool.save()
        return {}

    def admin_remove_user_from_group(self, params: dict) -> dict:
        user = self._admin_user(params)
        self.pool.unlink(user, self._group(params.get("GroupName")))
        self.pool.save()
        return {}

    def admin_list_groups_for_user(self, params: dict) -> dict:
        user = self._admin_user(params)
        return self._group_page(user.groups, params)

    def _group_page(self, groups: Iterable[CognitoIdpGroup], params: dict) -> dict:
        page, token = _page(groups, _group_order, params.get("Limit"), params.get("NextToken"))
        answer: dict[str, Any] = {"Groups": [self._group_type(g) for g in page]}
        if token:
            answer["NextToken"] = token
        return answer

    # --- the local admin ----------------------------------------------------------------------------

    def ensure_admin(self, email: str, password: str, group_name: str) -> None:
        """Make sure ``email`` is a confirmed, enabled user in ``group_name`` whose password is
        ``password`` (LOCAL_ADMIN_EMAIL, LOCAL_ADMIN_PASSWORD, ADMIN_GROUP). Safe to repeat; the
        environment wins over a password changed since. ConfigError when they cannot be used."""
        if not EMAIL.match(email):
            raise ConfigError(f"LOCAL_ADMIN_EMAIL must be an email address, got {email!r}.")
        try:
            self.pool.check_password_policy(password)
        except CognitoFault:
            raise ConfigError(
                "LOCAL_ADMIN_PASSWORD does not meet the local user pool's password "
                "policy: use 8 to 256 characters, with no space at either end."
            ) from None
        with self.pool.transaction():  # all of it, or nothing (StorageUnavailable)
            news = self._make_admin(email, password, group_name)
        if news:
            log.info(news, email, group_name)

    def _make_admin(self, email: str, password: str, group_name: str) -> str | None:
        """``ensure_admin``'s changes; what to log about them, if anything (with the email and group)."""
        news = None
        group = self.pool.groups.get(group_name)
        if group is None:
            self.create_group(
                {
                    "UserPoolId": self.pool.pool_id,
                    "GroupName": group_name,
                    "Description": "Administrators of this service",
                }
            )
            group = self.pool.groups[group_name]
        user = self.pool.find_user(email)
        if user is None:
            user = CognitoIdpUser(
                self.pool.pool_id,
                None,
                self.pool.passwords.hash(password),
                UserStatus.CONFIRMED,
                [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            )
            self.pool.users[user.username] = user
            news = "The local admin %s was created, in the group %s."
        elif not self.pool.passwords.matches(password, user.password):
            user.password = self.pool.passwords.hash(password)
            news = "The local admin %s had another password; it was set from LOCAL_ADMIN_PASSWORD (group %s)."
        ensure_verifier(self.pool, user, password)
        user.status = UserStatus.CONFIRMED
        user.enabled = True
        user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        self.pool.temporary_passwords.pop(user.id, None)
        self.pool.codes.pop(f"signup:{user.id}", None)
        self.pool.link(user, group)
        self.pool.save()
        return news
