"""The local Cognito's user pool as its endpoint serves it: the pool's core with its operation groups,
and the one table of the cognito-idp operations it implements.

``LocalUserPool`` is what start-up (``__init__.py``) and the HTTP side (``endpoint.py``,
``hosted_ui.py``) use: the state and shared checks of ``UserPool`` (``pool.py``), and one object
per group of operations, each built on that core.
"""

from __future__ import annotations

import time
from typing import Callable

from moto.cognitoidp.models import CognitoIdpUser

from local_cognito.accounts import AccountOperations
from local_cognito.admin import AdminOperations
from local_cognito.faults import CognitoFault
from local_cognito.attribute_updates import AttributeOperations
from local_cognito.devices import DeviceOperations
from local_cognito.federation import FederatedUsers
from local_cognito.mfa import MfaOperations
from local_cognito.mfa_codes import MfaCodeOperations
from local_cognito.mfa_methods import MFA_METHODS, configured_features
from local_cognito.oauth.hosted_sign_in import HostedSignIn
from local_cognito.oauth.operations import OAuthOperations
from local_cognito.passkeys import PasskeyOperations
from local_cognito.pool import UserPool
from local_cognito.refresh_tokens import RefreshTokenOperations
from local_cognito.sign_in import SignInOperations
from local_cognito.sign_in_ways import SignInWays
from local_cognito.user_auth import UserAuthOperations

__all__ = ["CognitoFault", "LocalUserPool", "Operation"]

# A cognito-idp operation: the request's JSON object in, the answer's out (CognitoFault otherwise).
Operation = Callable[[dict], dict]


class LocalUserPool(UserPool):
    """One user pool with one app client (with a secret), kept in ``data_dir``, and its operations:
    ``accounts`` (``accounts.py``), ``refresh`` (``refresh_tokens.py``), ``sign_in`` (``sign_in.py``),
    ``mfa`` (``mfa.py``) and ``mfa_codes`` (``mfa_codes.py``), ``attributes``
    (``attribute_updates.py``), ``admin`` (``admin.py``), the hosted UI's ``oauth`` and
    ``hosted_sign_in`` (``oauth/``) and ``federation`` (``federation.py``), and choice-based sign-in:
    ``passkeys`` (``passkeys.py``) and ``user_auth`` (``user_auth.py``), with the ways the pool allows
    in ``sign_in_ways`` (``sign_in_ways.py``); remembered ``devices`` (``devices.py``)."""

    def __init__(
        self,
        data_dir: str,
        *,
        pinned_code: str | None = None,
        access_token_seconds: int = 3600,
        clock: Callable[[], float] = time.time,
        required_attributes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(
            data_dir,
            pinned_code=pinned_code,
            access_token_seconds=access_token_seconds,
            clock=clock,
            required_attributes=required_attributes,
        )
        self.accounts = AccountOperations(self)
        self.refresh = RefreshTokenOperations(self)
        self.sign_in = SignInOperations(self, self.refresh)
        self.mfa_codes = MfaCodeOperations(self, self.sign_in)
        self.sign_in.mfa_codes = self.mfa_codes
        self.devices = DeviceOperations(self)
        self.sign_in.devices = self.devices
        self.mfa = MfaOperations(self, self.mfa_codes)
        self.attributes = AttributeOperations(self)
        self.admin = AdminOperations(self)
        self.oauth = OAuthOperations(self, self.refresh)
        self.hosted_sign_in = HostedSignIn(self, self.sign_in, self.accounts)
        self.federation = FederatedUsers(self)
        self.sign_in_ways = SignInWays()
        self.passkeys = PasskeyOperations(self, self.sign_in_ways)
        self.user_auth = UserAuthOperations(self, self.sign_in, self.passkeys, self.sign_in_ways)
        self.oauth.configure_hosted_ui()  # no callback URLs until start-up gives them (``__init__.py``)
        self.refresh.configure_rotation(False)  # as a new Cognito app client; start-up may turn it on
        self.operations: dict[str, Operation] = {
            "SignUp": self.accounts.sign_up,
            "ConfirmSignUp": self.accounts.confirm_sign_up,
            "ResendConfirmationCode": self.accounts.resend_confirmation_code,
            # USER_AUTH and its challenges first (user_auth.py), then sign_in.py's.
            "InitiateAuth": self.user_auth.initiate_auth,
            "RespondToAuthChallenge": self.user_auth.respond_to_auth_challenge,
            "GetUserAuthFactors": self.user_auth.get_user_auth_factors,
            "StartWebAuthnRegistration": self.passkeys.start_web_authn_registration,
            "CompleteWebAuthnRegistration": self.passkeys.complete_web_authn_registration,
            "ListWebAuthnCredentials": self.passkeys.list_web_authn_credentials,
            "DeleteWebAuthnCredential": self.passkeys.delete_web_authn_credential,
            "GetTokensFromRefreshToken": self.refresh.get_tokens_from_refresh_token,
            "RevokeToken": self.refresh.revoke_token,
            "GlobalSignOut": self.sign_in.global_sign_out,
            "ChangePassword": self.accounts.change_password,
            "ForgotPassword": self.accounts.forgot_password,
            "ConfirmForgotPassword": self.accounts.confirm_forgot_password,
            "GetUser": self.accounts.get_user,
            "UpdateUserAttributes": self.attributes.update_user_attributes,
            "VerifyUserAttribute": self.attributes.verify_user_attribute,
            "GetUserAttributeVerificationCode": self.attributes.get_user_attribute_verification_code,
            "DeleteUser": self.accounts.delete_user,
            "AssociateSoftwareToken": self.mfa.associate_software_token,
            "VerifySoftwareToken": self.mfa.verify_software_token,
            "SetUserMFAPreference": self.mfa.set_user_mfa_preference,
            "ConfirmDevice": self.devices.confirm_device,
            "UpdateDeviceStatus": self.devices.update_device_status,
            "GetDevice": self.devices.get_device,
            "ListDevices": self.devices.list_devices,
            "ForgetDevice": self.devices.forget_device,
            # IAM-authorised: the HTTP layer refuses them unsigned (see admin.needs_signature).
            "AdminCreateUser": self.admin.admin_create_user,
            "AdminGetUser": self.admin.admin_get_user,
            "ListUsers": self.admin.list_users,
            "AdminDisableUser": self.admin.admin_disable_user,
            "AdminEnableUser": self.admin.admin_enable_user,
            "AdminDeleteUser": self.admin.admin_delete_user,
            "AdminResetUserPassword": self.admin.admin_reset_user_password,
            "AdminConfirmSignUp": self.admin.admin_confirm_sign_up,
            "AdminAddUserToGroup": self.admin.admin_add_user_to_group,
            "AdminRemoveUserFromGroup": self.admin.admin_remove_user_from_group,
            "AdminListGroupsForUser": self.admin.admin_list_groups_for_user,
            "AdminUserGlobalSignOut": self.admin.admin_user_global_sign_out,
            "AdminListDevices": self.devices.admin_list_devices,
            "AdminForgetDevice": self.devices.admin_forget_device,
            "DescribeUserPoolClient": self.refresh.describe_user_pool_client,
            "CreateGroup": self.admin.create_group,
            "GetGroup": self.admin.get_group,
            "ListGroups": self.admin.list_groups,
        }

    def configure_account_features(
        self, *, email_updates: str = "verify-first", mfa_methods: tuple[str, ...] = MFA_METHODS
    ) -> None:
        """How the pool takes a new email and which MFA methods it offers (``mfa_methods.py``)."""
        self.email_updates, self.mfa_methods_allowed = configured_features(self.pool, email_updates, mfa_methods)

    def remove_user(self, user: CognitoIdpUser) -> None:
        """The user, everything ``UserPool`` keeps for them, their passkeys and their devices."""
        super().remove_user(user)
        self.passkeys.forget_user(user.id)
        self.devices.forget_user(user.id)
