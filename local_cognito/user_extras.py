"""The fields the local Cognito keeps on moto's user objects beside moto's own, read and written here alone.

moto's ``CognitoIdpUser`` has no place for three things the pool keeps for a user, so they ride on
the object as attributes of ours, and the user's record in the database keeps them (``user_table.py``):

- ``srp_verifier``: the SRP salt and verifier, with a tag of the password hash they were made for
  (``srp.py``; ``srp`` in the record);
- ``pending_attributes``: attribute values waiting for their verification code (``attribute_updates.py``;
  ``pending`` in the record);
- ``mfa_choices``: the user's choices of SMS and email MFA, and the method they prefer
  (``mfa_methods.py``; ``mfa`` in the record).

A user object that moto made (SignUp, AdminCreateUser) has none of them until one is set: then
``srp_verifier`` is None and the other two start empty. moto's class does not declare them, so the
rest of the local Cognito goes through these functions, which give them their types.
"""

from __future__ import annotations

from typing import Any

from moto.cognitoidp.models import CognitoIdpUser

_SRP_VERIFIER = "srp_verifier"
_PENDING_ATTRIBUTES = "pending_attributes"
_MFA_CHOICES = "mfa_choices"


def srp_verifier(user: CognitoIdpUser) -> dict[str, str] | None:
    """``{"salt": hex, "verifier": hex, "for": tag of the password hash}``, or None when none was made."""
    return getattr(user, _SRP_VERIFIER, None)


def set_srp_verifier(user: CognitoIdpUser, verifier: dict[str, str] | None) -> None:
    setattr(user, _SRP_VERIFIER, verifier)


def pending_attributes(user: CognitoIdpUser) -> dict[str, str]:
    """The attribute values waiting for their code, by attribute name: the user's own dictionary,
    which a change goes into."""
    return _kept_dict(user, _PENDING_ATTRIBUTES)


def mfa_choices(user: CognitoIdpUser) -> dict[str, Any]:
    """The user's own record of SMS and email MFA: ``{"sms": bool, "email": bool, "preferred": name}``
    (empty when they never chose either), which a change goes into."""
    return _kept_dict(user, _MFA_CHOICES)


def restore_extras(
    user: CognitoIdpUser, *, verifier: dict[str, str] | None, pending: dict[str, str], choices: dict[str, Any]
) -> None:
    """All three, as the user's saved record had them."""
    set_srp_verifier(user, verifier)
    setattr(user, _PENDING_ATTRIBUTES, pending)
    setattr(user, _MFA_CHOICES, choices)


def _kept_dict(user: CognitoIdpUser, name: str) -> dict:
    kept = getattr(user, name, None)
    if kept is None:
        kept = {}
        setattr(user, name, kept)
    return kept
