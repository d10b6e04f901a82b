"""The server's side of a remembered device (server/device_cookie.py, and server/srp.py used for a
device), checked against pycognito's device maths, which we did not write: the verifier that
ConfirmDevice gets is the one pycognito's formula gives for the device's secret, and the claim the
server sends for DEVICE_PASSWORD_VERIFIER is pycognito's for the same SRP values; and the cookie
itself: signed, refused altered or made for another purpose, its secret never in its repr."""

from __future__ import annotations

import base64
import re

from pycognito.aws_srp import AWSSRP, G_HEX, N_HEX, hash_sha256, hex_hash, hex_to_long

from server import srp
from server.device_cookie import DEVICE_COOKIE, DeviceCookie, DeviceCookieCodec, StoredDevice, new_device_secret
from server.signing import SignedValues

GROUP, KEY = "-AbCdEfGhI", "us-east-1_0f5c2b1e-7a9d-4c3e-9b8a-1d2e3f4a5b6c"


def test_the_verifier_is_pycognitos_for_the_devices_secret():
    secret, config = new_device_secret(GROUP, KEY)
    assert len(base64.b64decode(secret)) == 40
    salt_hex = base64.b64decode(config["Salt"]).hex()
    verifier = int.from_bytes(base64.b64decode(config["PasswordVerifier"]), "big")
    # pycognito's generate_hash_device, with the salt the server drew.
    x = hex_to_long(hex_hash(salt_hex + hash_sha256(f"{GROUP}{KEY}:{secret}".encode())))
    assert verifier == pow(hex_to_long(G_HEX), x, hex_to_long(N_HEX))
    assert salt_hex == srp.pad_hex(int(salt_hex, 16))  # padded as amazon-cognito-identity-js pads it


def test_the_device_claim_is_pycognitos():
    secret, config = new_device_secret(GROUP, KEY)
    verifier = int.from_bytes(base64.b64decode(config["PasswordVerifier"]), "big")
    client = srp.ClientSession()
    server = srp.ServerSession(verifier)
    parameters = {
        "SRP_B": f"{server.large_b:x}",
        "SALT": base64.b64decode(config["Salt"]).hex(),
        "SECRET_BLOCK": base64.b64encode(b"block" * 20).decode(),
        "USERNAME": "sub",
    }
    theirs = AWSSRP(
        username="sub",
        password="unused",
        pool_id="us-east-1_Pool",
        client_id="client",
        client=object(),
        device_key=KEY,
        device_group_key=GROUP,
        device_password=secret,
    )
    theirs.small_a_value, theirs.large_a_value = client.small_a, client.large_a
    answer = theirs.process_device_challenge(parameters)  # pycognito writes its own TIMESTAMP
    ours = client.claim(GROUP, KEY, secret, parameters, answer["TIMESTAMP"])
    assert ours == answer["PASSWORD_CLAIM_SIGNATURE"]
    # And the server side the local Cognito uses agrees.
    assert (
        srp.claim_signature(server.key(client.large_a), GROUP, KEY, parameters["SECRET_BLOCK"], answer["TIMESTAMP"])
        == ours
    )


def test_the_cookie_is_signed_and_for_this_purpose_only():
    codec = DeviceCookieCodec(("secret-one",))
    device = StoredDevice(key=KEY, group=GROUP, secret="the-device-secret", username="sub-1")
    header = codec.set_cookie_header(device)
    assert header.startswith(DEVICE_COOKIE + "=")
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/", f"Max-Age={365 * 86400}"):
        assert flag in header
    value = re.match(rf"{DEVICE_COOKIE}=([^;]+);", header).group(1)
    assert DeviceCookie(codec, f"{DEVICE_COOKIE}={value}").device == device
    assert DeviceCookie(DeviceCookieCodec(("secret-two", "secret-one")), f"{DEVICE_COOKIE}={value}").device == device
    assert DeviceCookie(DeviceCookieCodec(("another",)), f"{DEVICE_COOKIE}={value}").device is None
    assert DeviceCookie(codec, f"{DEVICE_COOKIE}={value[:-1]}x").device is None
    # A value signed for another purpose (the refresh cookie's name) is not a device.
    other = SignedValues(("secret-one",), "__Host-refresh", 1).encode({"k": KEY, "g": GROUP, "s": "x", "u": "sub-1"})
    assert DeviceCookie(codec, f"{DEVICE_COOKIE}={other}").device is None
    assert "the-device-secret" not in repr(device)
    cleared = DeviceCookie(codec, "")
    cleared.clear()
    assert cleared.set_cookie.startswith(f"{DEVICE_COOKIE}=;") and "Max-Age=0" in cleared.set_cookie
