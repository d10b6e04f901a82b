"""The remembered-device cookie (``__Host-device``): the device this browser was remembered as, for
one account, and the device's own secret, so the next sign-in here can skip the MFA code.

Cognito remembers a device by an SRP verifier made from a secret only the device keeps (its
"device password"); the device proves it knows the secret in the DEVICE_SRP_AUTH step. This server
signs in for the browser, so the browser keeps the secret in this cookie: HttpOnly (page scripts
never see it), Secure, SameSite=Strict, a ``__Host-`` cookie, and signed like our other cookies
(``server.signing``), so it cannot be altered, and a cookie made for another purpose is refused. It
never goes to a log. It holds the device key, the device group key, the secret, and the user name
Cognito assigned (the ``sub``, so the device is only used for its own account).

On its own it signs no one in: a sign-in still needs the password, and the device only stands in
for the MFA code. It outlives signing out (that is what remembering the browser is for) and goes
when the device is forgotten here, when Cognito no longer knows the device, or after
``DEVICE_COOKIE_DAYS`` days.

``new_device_secret`` makes the secret and the verifier for ConfirmDevice, as AWS's own client
(amazon-cognito-identity-js's ``generateHashDevice``) makes them, with ``server.srp``'s maths: the
device group key and device key stand for the pool name and user name. It is big-number work:
callers run it off the IOLoop.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets

from server import srp
from server.cookies import host_cookie_header, read_cookie
from server.signing import SignedValues

DEVICE_COOKIE = "__Host-device"
DEVICE_COOKIE_DAYS = 365
DEVICE_SECRET_BYTES = 40  # as amazon-cognito-identity-js's generateRandomString


@dataclasses.dataclass(frozen=True)
class StoredDevice:
    """What the device cookie holds."""

    key: str  # DeviceKey
    group: str  # DeviceGroupKey
    secret: str = dataclasses.field(repr=False)  # the device password its verifier was made from
    username: str  # the name Cognito assigned (the sub) of the account it was remembered for


def new_device_secret(group: str, key: str) -> tuple[str, dict[str, str]]:
    """A new device secret, and ConfirmDevice's DeviceSecretVerifierConfig for it: the verifier and
    the salt, each base64 of the bytes of its padded hex."""
    secret = base64.b64encode(secrets.token_bytes(DEVICE_SECRET_BYTES)).decode()
    salt = srp.new_salt()
    verifier = srp.verifier(group, key, secret, salt)
    return secret, {
        "PasswordVerifier": base64.b64encode(bytes.fromhex(srp.pad_hex(verifier))).decode(),
        "Salt": base64.b64encode(bytes.fromhex(srp.pad_hex(salt))).decode(),
    }


class DeviceCookieCodec:
    """Encodes and decodes the signed device cookie with the configured secrets."""

    def __init__(self, cookie_secrets: tuple[str, ...], lifetime_days: float = DEVICE_COOKIE_DAYS):
        self._signed = SignedValues(cookie_secrets, DEVICE_COOKIE, lifetime_days)
        self.lifetime_days = lifetime_days

    def decode(self, value: str) -> StoredDevice | None:
        data = self._signed.decode(value)
        if not isinstance(data, dict):
            return None
        fields = (data.get("k"), data.get("g"), data.get("s"), data.get("u"))
        if not all(isinstance(field, str) and field for field in fields):
            return None
        return StoredDevice(*fields)  # type: ignore[arg-type]

    def set_cookie_header(self, device: StoredDevice) -> str:
        value = self._signed.encode({"k": device.key, "g": device.group, "s": device.secret, "u": device.username})
        return host_cookie_header(DEVICE_COOKIE, value, int(self.lifetime_days * 86400), "Strict")

    @staticmethod
    def clear_cookie_header() -> str:
        return host_cookie_header(DEVICE_COOKIE, "", 0, "Strict")


class DeviceCookie:
    """What one request knows about the device cookie, and what its answer must do to it."""

    def __init__(self, codec: DeviceCookieCodec, cookie_header: str):
        self._codec = codec
        raw = read_cookie(cookie_header, DEVICE_COOKIE)
        self.present = bool(raw)
        self.device = codec.decode(raw) if raw else None  # None too for one tampered with or expired
        self.set_cookie: str | None = None  # the Set-Cookie header the answer carries, if any

    def store(self, device: StoredDevice) -> None:
        self.device = device
        self.set_cookie = self._codec.set_cookie_header(device)

    def clear(self) -> None:
        self.device = None
        self.set_cookie = self._codec.clear_cookie_header()
