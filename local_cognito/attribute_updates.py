"""The local Cognito's updates of a user's own attributes, and their verification, as Cognito documents them.

UpdateUserAttributes, VerifyUserAttribute and GetUserAttributeVerificationCode, with the user's
access token:

- A new ``email`` gets a code sent to it, and UpdateUserAttributes answers where it went
  (CodeDeliveryDetailsList). With the pool's AttributesRequireVerificationBeforeUpdate (the default
  here, ``LOCAL_COGNITO_EMAIL_UPDATES=verify-first``) "Amazon Cognito doesn't change the value of the
  attribute until your user responds to the verification message": the old address stays the one
  that signs in, that GetUser answers and that tokens carry, still verified, and the new one waits in
  the user's record (``pending``); VerifyUserAttribute "updates the affected attribute to its pending
  value". Without that setting (``immediate``) the email changes at once, unverified, until the code
  is given. With ``off`` the app client may not write the email at all: NotAuthorizedException, "A
  client attempted to write unauthorized attribute", as for ``email_verified``.
- An address another account uses is AliasExistsException, when it is asked for and again when it
  is verified (someone may have taken it meanwhile).
- A new ``phone_number`` (E.164, "+" and digits) changes at once and is unverified; when the pool
  sends text messages (SMS MFA allowed), a code goes to it, as to every auto-verified attribute.
  Emptying it removes it, and with it SMS MFA.
- Codes are good for 24 hours and five wrong tries (the pool's ``use_code``); they are kept, as the
  pending value is, in the database.
"""

from __future__ import annotations

import re
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser

from local_cognito.faults import CognitoFault, invalid_parameter, not_authorized
from local_cognito.mfa_methods import SMS_MFA, send_sms, sms_delivery
from local_cognito.pool import UserPool
from local_cognito.pool_settings import EMAIL
from local_cognito.schema import check_update
from local_cognito.user_extras import mfa_choices, pending_attributes
from server.user_names import fold_case

VERIFICATION_CODE_SECONDS = 24 * 3600  # Cognito: attribute verification codes are good for 24 hours
PHONE_NUMBER = re.compile(r"^\+[0-9]{4,15}$")  # E.164, as Cognito takes phone_number
VERIFIED_FLAGS = {"email": "email_verified", "phone_number": "phone_number_verified"}
WRITE_REFUSED = "A client attempted to write unauthorized attribute"


class AttributeOperations:
    """A user's changes to their own attributes, and verifying email addresses and phone numbers."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool

    def update_user_attributes(self, params: dict) -> dict:
        pool = self.pool
        user = pool.user_for_access_token(params.get("AccessToken"))
        attributes = pool.checked_attributes(params.get("UserAttributes"))
        check_update(pool.required_attributes, attributes)
        if set(VERIFIED_FLAGS.values()) & set(attributes):
            raise not_authorized(WRITE_REFUSED)
        email = attributes.pop("email", None)
        if email is not None:
            self._check_new_email(user, email)
        phone = attributes.get("phone_number")
        if phone and not PHONE_NUMBER.match(phone):
            raise invalid_parameter("Invalid phone number format.")
        # Every check has passed: now the changes.
        deliveries = []
        if email is not None:
            deliveries += self._new_email(user, email)
        if phone is not None:
            deliveries += self._new_phone_number(user, phone, attributes)
        if attributes:
            user.update_attributes([{"Name": k, "Value": v} for k, v in attributes.items()])
        user.last_modified_date = pool.now()
        pool.save()
        return {"CodeDeliveryDetailsList": deliveries}

    def _check_new_email(self, user: CognitoIdpUser, email: str) -> None:
        if self.pool.email_updates == "off":
            raise not_authorized(WRITE_REFUSED)
        if not EMAIL.match(email):
            raise invalid_parameter("Invalid email address format.")
        other = self.pool.find_user(email)
        if other is not None and other is not user:
            raise CognitoFault("AliasExistsException", "An account with the given email already exists.")

    def _new_email(self, user: CognitoIdpUser, email: str) -> list[dict]:
        pending = pending_attributes(user)
        if fold_case(email) == fold_case(user.attribute_lookup.get("email", "")):
            # The address it already has: nothing to verify, and a change waiting is dropped.
            pending.pop("email", None)
            self.pool.codes.pop(f"verify_email:{user.id}", None)
            return []
        if self.pool.email_updates == "verify-first":
            pending["email"] = email
        else:
            user.update_attributes([{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "false"}])
            pending.pop("email", None)
        return [self._send_code(user, "email", email)]

    def _new_phone_number(self, user: CognitoIdpUser, phone: str, attributes: dict[str, str]) -> list[dict]:
        """A new number is unverified; an empty one removes the number, and SMS MFA with it."""
        pool = self.pool
        attributes.pop("phone_number")
        if not phone:
            for name in ("phone_number", "phone_number_verified"):
                user.attribute_lookup.pop(name, None)
            user.attributes = [a for a in user.attributes if a["Name"] not in ("phone_number", "phone_number_verified")]
            choices = mfa_choices(user)
            if choices.pop("sms", None) and choices.get("preferred") == SMS_MFA:
                choices.pop("preferred")
            pool.codes.pop(f"verify_phone_number:{user.id}", None)
            return []
        if phone == user.attribute_lookup.get("phone_number"):
            return []
        user.update_attributes(
            [{"Name": "phone_number", "Value": phone}, {"Name": "phone_number_verified", "Value": "false"}]
        )
        if SMS_MFA not in pool.mfa_methods_allowed:
            return []  # a pool that sends no text messages does not verify numbers
        return [self._send_code(user, "phone_number", phone)]

    def _send_code(self, user: CognitoIdpUser, attribute: str, destination: str) -> dict:
        code = self.pool.new_code()
        self.pool.codes[f"verify_{attribute}:{user.id}"] = {
            "code": code,
            "expires": self.pool.clock() + VERIFICATION_CODE_SECONDS,
        }
        if attribute == "email":
            self.pool.send_email(destination, "your verification code is %s", code)
            return self.pool.delivery(destination)
        send_sms(self.pool, destination, "your verification code is %s", code)
        return sms_delivery(destination)

    def _attribute_name(self, params: dict) -> str:
        name = params.get("AttributeName")
        if name not in VERIFIED_FLAGS:
            raise invalid_parameter(f"Attribute {str(name)[:64]} cannot be verified: only email and phone_number are.")
        return name

    def get_user_attribute_verification_code(self, params: dict) -> dict:
        pool = self.pool
        user = pool.user_for_access_token(params.get("AccessToken"))
        name = self._attribute_name(params)
        destination: Any = pending_attributes(user).get(name) or user.attribute_lookup.get(name)
        if not destination:
            raise invalid_parameter(f"User does not have a {name} to verify.")
        if name == "phone_number" and SMS_MFA not in pool.mfa_methods_allowed:
            raise invalid_parameter("This user pool does not send SMS messages: it has no SMS configuration.")
        delivery = self._send_code(user, name, destination)
        pool.save()
        return {"CodeDeliveryDetails": delivery}

    def verify_user_attribute(self, params: dict) -> dict:
        pool = self.pool
        user = pool.user_for_access_token(params.get("AccessToken"))
        name = self._attribute_name(params)
        pool.use_code(user, f"verify_{name}", params.get("Code"))
        pending = pending_attributes(user).pop(name, None)
        if pending is not None:
            other = pool.find_user(pending)
            if other is not None and other is not user:
                pool.save()  # the code is spent; the address stays as it was
                raise CognitoFault("AliasExistsException", "An account with the given email already exists.")
            user.update_attributes([{"Name": name, "Value": pending}])
        user.update_attributes([{"Name": VERIFIED_FLAGS[name], "Value": "true"}])
        user.last_modified_date = pool.now()
        pool.save()
        return {}
