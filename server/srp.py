"""Cognito's variant of SRP-6a: its group, its hashes and padding, and the client's side of a sign-in.

Cognito's USER_SRP_AUTH (and DEVICE_SRP_AUTH, for remembered devices) use the 3072-bit group of RFC
5054 (and RFC 3526) with g = 2 and SHA-256, with the conventions of AWS's own client,
amazon-cognito-identity-js (``AuthenticationHelper``), which every other client copies:

- numbers are hashed as hex strings turned to bytes, padded with ``pad_hex`` (an even number of hex
  digits, and a 00 byte in front when the first bit is set, so the number reads as positive);
- k = H(00 N | 02), u = H(pad A | pad B);
- x = H(pad salt | H(pool name + user + ":" + password)), where the pool name is the part of the
  pool id after "_" and the user is USER_ID_FOR_SRP (for a device: device group key + device key);
- the key is HKDF-SHA256 of S (salt u, info "Caldera Derived Key" 0x01), its first 16 bytes;
- the claim (PASSWORD_CLAIM_SIGNATURE) is base64(HMAC-SHA256(key, pool name + user + secret block +
  timestamp)), with the timestamp written as ``cognito_timestamp`` writes it.

Both sides are here (the server's sign-in is the client; the local Cognito is the server), so the
maths is written once; a remembered device's DEVICE_PASSWORD_VERIFIER is the same claim with the
device's ``name`` and ``user``. This is not pycognito's AWSSRP: that module imports boto3 and
requests (synchronous clients) when it is imported and has no server side, and with it on both
sides nothing but itself would vouch for it. The tests check this module against implementations
we did not write: pycognito's AWSSRP and amazon-cognito-identity-js sign in against the local
Cognito, and a stand-in checks the server's claims with pycognito's functions.

The big-number work (some 50 ms of CPU for a client's sign-in) is pure computation: the server runs
it in an executor (``server.sign_in_flows``), never on the IOLoop.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import secrets

N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key\x01"
CLIENT_SECRET_BITS = 1024  # the client's private value a, drawn as AWS's client draws it
# The server's private value b: 256 bits is the strength of the group (some 128 bits, RFC 3526 and
# NIST SP 800-57 ask for an exponent of twice that), and keeps the local Cognito's side to some
# 10 ms of CPU a sign-in, on its one event loop.
SERVER_SECRET_BITS = 256
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pad_hex(number: int) -> str:
    """``number`` in hex as Cognito hashes it: even length, and 00 first if its first bit is set."""
    text = f"{number:x}"
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdef" else text


def hash_hex(hex_text: str) -> str:
    """SHA-256 of the bytes ``hex_text`` spells, as 64 hex digits."""
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest()


K = int(hash_hex("00" + N_HEX + "02"), 16)


def pool_name(pool_id: str) -> str:
    """The part of a pool id ("us-east-1_AbC123xYz") that Cognito's SRP hashes: "AbC123xYz"."""
    return pool_id.partition("_")[2]


def private_value(bits: int) -> int:
    return secrets.randbits(bits) % N


def scrambler(large_a: int, large_b: int) -> int:
    """u = H(pad A | pad B)."""
    return int(hash_hex(pad_hex(large_a) + pad_hex(large_b)), 16)


def password_exponent(name: str, user: str, password: str, salt: int) -> int:
    """x = H(pad salt | H(name + user + ":" + password))."""
    inner = hashlib.sha256(f"{name}{user}:{password}".encode()).hexdigest()
    return int(hash_hex(pad_hex(salt) + inner), 16)


def verifier(name: str, user: str, password: str, salt: int) -> int:
    """v = g^x mod N: what the server keeps instead of the password."""
    return pow(G, password_exponent(name, user, password, salt), N)


def new_salt() -> int:
    return int.from_bytes(secrets.token_bytes(16), "big")


def derived_key(shared: int, u: int) -> bytes:
    """The 16-byte key both sides derive from S (HKDF-SHA256 with salt u)."""
    prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(shared)), hashlib.sha256).digest()
    return hmac.new(prk, INFO, hashlib.sha256).digest()[:16]


def claim_signature(key: bytes, name: str, user: str, secret_block: str, timestamp: str) -> str:
    """PASSWORD_CLAIM_SIGNATURE: base64(HMAC-SHA256(key, name + user + secret block bytes + timestamp))."""
    message = name.encode() + user.encode() + base64.b64decode(secret_block) + timestamp.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def cognito_timestamp(moment: datetime.datetime | None = None) -> str:
    """TIMESTAMP as Cognito takes it, e.g. "Tue Dec 2 06:05:01 UTC 2026": English names whatever the
    locale (strftime's %a and %b follow it), the day without padding, the time in UTC."""
    moment = (moment or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    return f"{_WEEKDAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day} {moment:%H:%M:%S} UTC {moment.year}"


class ClientSession:
    """The client's side of one SRP sign-in: ``large_a`` (SRP_A) to send, then ``claim`` for the
    server's PASSWORD_VERIFIER (or DEVICE_PASSWORD_VERIFIER) challenge."""

    def __init__(self) -> None:
        self.small_a = private_value(CLIENT_SECRET_BITS)
        self.large_a = pow(G, self.small_a, N)

    @property
    def srp_a(self) -> str:
        return f"{self.large_a:x}"

    def key(self, name: str, user: str, password: str, salt_hex: str, srp_b_hex: str) -> bytes:
        """The key for the server's SALT and SRP_B; ValueError for a B or u that would leak it."""
        large_b = int(srp_b_hex, 16)
        if large_b % N == 0:
            raise ValueError("SRP_B is 0 mod N")
        u = scrambler(self.large_a, large_b)
        if u == 0:
            raise ValueError("u is 0")
        x = password_exponent(name, user, password, int(salt_hex, 16))
        shared = pow((large_b - K * pow(G, x, N)) % N, self.small_a + u * x, N)
        return derived_key(shared, u)

    def claim(self, name: str, user: str, password: str, parameters: dict[str, str], timestamp: str) -> str:
        """PASSWORD_CLAIM_SIGNATURE for the challenge ``parameters`` (SALT, SRP_B, SECRET_BLOCK)."""
        key = self.key(name, user, password, parameters["SALT"], parameters["SRP_B"])
        return claim_signature(key, name, user, parameters["SECRET_BLOCK"], timestamp)


class ServerSession:
    """The server's side of one SRP sign-in, for a user whose verifier is ``verifier``."""

    def __init__(self, verifier_value: int) -> None:
        self.verifier = verifier_value
        self.small_b = private_value(SERVER_SECRET_BITS)
        self.large_b = (K * verifier_value + pow(G, self.small_b, N)) % N

    def key(self, large_a: int) -> bytes | None:
        """The key the client must have used, for its SRP_A; None for an A the protocol refuses."""
        if large_a % N == 0:
            return None
        u = scrambler(large_a, self.large_b)
        shared = pow(large_a * pow(self.verifier, u, N), self.small_b, N)
        return derived_key(shared, u)
