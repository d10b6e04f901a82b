"""deploy/nginx.conf in front of two ``tornado_server.py`` processes that share one local Cognito.

The real nginx runs the shipped file, changed only where a test must (ports, certificate, folders),
over TLS with a certificate made here. The tests show that the tutorial's walkthrough works across
the two processes (signed in by one, refreshed by the other), that the servers count a client by the
address it connects from whatever X-Forwarded-For it sends, that nginx itself refuses bodies larger
than the server takes, and that plain HTTP is sent to HTTPS.
"""

from __future__ import annotations

import dataclasses
import datetime
import http.client
import ipaddress
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import time
import uuid
from http.cookies import SimpleCookie

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from server.errors import CATALOGUE
from tests.support import CODE, PASSWORD, ROOT, Reply, ServerProcess, form, free_port, local_server

DEPLOYED_CONFIG = os.path.join(ROOT, "deploy", "nginx.conf")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# Calls per client address to the guessable methods, per server process. The window is far longer
# than the tests, so that no budget refills while a test is spending it.
RATE_LIMIT_CALLS = 8
RATE_LIMIT = f"{RATE_LIMIT_CALLS}/86400"

# Linux routes all of 127.0.0.0/8 to loopback: each test's client connects from an address of its
# own, so that one test's rate-limit budget is not another's. nginx forwards from 127.0.0.1.
WALKTHROUGH_CLIENT = "127.0.0.4"
LIMITS_CLIENT = "127.0.0.5"


def tls_certificate(folder: str) -> tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key: (cert path, key path).
    The client trusts it as its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(folder, "localhost.pem"), os.path.join(folder, "localhost.key")
    with open(cert_path, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return cert_path, key_path


@dataclasses.dataclass(frozen=True)
class Ports:
    http: int
    https: int
    server_a: int
    server_b: int


def config_for_tests(deployed: str, folder: str, ports: Ports, cert_path: str, key_path: str) -> str:
    """deploy/nginx.conf as the tests run it. Every change is an exact replacement of a line the
    shipped file must contain, so a test never runs a file that has drifted from it unnoticed."""
    temp_paths = "".join(f"    {kind}_temp_path {folder}/{kind}_temp;\n"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    replacements = [
        # Ignored when the tests run as a normal user. Under root, nginx would otherwise run its
        # workers as nobody, who cannot write in the test's folder (pytest makes it the owner's only).
        ("user www-data;", f"user {pwd.getpwuid(os.geteuid()).pw_name};"),
        ("/run/nginx.pid", f"{folder}/nginx.pid"),
        ("/var/log/nginx/", f"{folder}/"),
        # The compiled-in temporary folders are under /var/lib/nginx, writable by root only.
        ("http {\n", "http {\n" + temp_paths),
        ("listen 80;", f"listen 127.0.0.1:{ports.http};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports.https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        # The redirect names the HTTPS port, which is not the default one here.
        ("return 301 https://$host$request_uri;", f"return 301 https://$host:{ports.https}$request_uri;"),
        ("/etc/ssl/certs/your.domain.fullchain.pem", cert_path),
        ("/etc/ssl/private/your.domain.key", key_path),
        ("server 127.0.0.1:3006;", f"server 127.0.0.1:{ports.server_a};"),
        ("server 127.0.0.1:3008;", f"server 127.0.0.1:{ports.server_b};"),
    ]
    config = deployed
    for shipped, tested in replacements:
        assert shipped in config, f"deploy/nginx.conf no longer contains {shipped!r}: update tests/test_nginx.py"
        config = config.replace(shipped, tested)
    return config


class Nginx:
    """nginx in the foreground, with its pid, logs and temporary files in ``folder``."""

    def __init__(self, folder: str, config: str, ports: Ports):
        self.folder = folder
        self.config_path = os.path.join(folder, "nginx.conf")
        with open(self.config_path, "w") as out:
            out.write(config)
        self.output_path = os.path.join(folder, "nginx.out")
        with open(self.output_path, "wb") as output:
            self.process = subprocess.Popen([NGINX, "-p", folder, "-c", self.config_path, "-g", "daemon off;"],
                                            stdout=output, stderr=subprocess.STDOUT)
        for port in (ports.http, ports.https):
            self._wait_for(port)

    def _wait_for(self, port: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx stopped at start-up:\n{self.messages()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nginx is not listening on port {port}:\n{self.messages()}")

    def messages(self) -> str:
        """What nginx said on its console and in its error log."""
        texts = []
        for path in (self.output_path, os.path.join(self.folder, "error.log")):
            if os.path.exists(path):
                with open(path, errors="replace") as log:
                    texts.append(log.read())
        return "\n".join(texts)

    def access_log_line(self, request_id: str, timeout: float = 5.0) -> str:
        """nginx's access-log line for the request (written once the answer has gone)."""
        deadline = time.monotonic() + timeout
        while True:
            with open(os.path.join(self.folder, "access.log")) as log:
                for line in log:
                    if f"request_id={request_id}" in line:
                        return line
            if time.monotonic() > deadline:
                raise AssertionError(f"nginx logged no request {request_id}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("nginx did not stop on SIGTERM") from None


class Stack:
    """nginx and the two server processes behind it, as the tests reach them."""

    def __init__(self, ports: Ports, cert_path: str, nginx: Nginx, servers: dict[str, ServerProcess]):
        self.ports = ports
        self.cert_path = cert_path
        self.nginx = nginx
        self.servers = servers
        self.tls = ssl.create_default_context(cafile=cert_path)

    def served_by(self, request_id: str, timeout: float = 5.0) -> str:
        """The name of the process whose access log has the request (a line is written just after
        its answer has gone, so it may take a moment)."""
        deadline = time.monotonic() + timeout
        while True:
            names = [name for name, server in self.servers.items() if f"request_id={request_id}" in server.output()]
            if names:
                assert len(names) == 1, f"request {request_id} is in the logs of {names}"
                return names[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no server process logged request {request_id}")
            time.sleep(0.05)

    def logged_by_a_server(self, request_id: str) -> bool:
        return any(request_id in server.output() for server in self.servers.values())


class Browser:
    """A client of nginx over HTTPS from its own loopback address (``source``), trusting only the
    test's certificate. It keeps cookies as a browser does and opens a new connection for each
    request, so nothing but nginx decides which process serves it."""

    def __init__(self, stack: Stack, source: str):
        self.stack = stack
        self.source = source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        connection = http.client.HTTPSConnection("127.0.0.1", self.stack.ports.https, context=self.stack.tls,
                                                 source_address=(self.source, 0), timeout=30)
        all_headers = {"Host": f"localhost:{self.stack.ports.https}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, path, body, all_headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read(), path)
        finally:
            connection.close()
        for header in reply.set_cookies():
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def post(self, payload: dict | bytes, headers: dict[str, str] | None = None) -> Reply:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", "/", body, {"Content-Type": "application/json", **(headers or {})})


def request_id(reply: Reply) -> str:
    """The answer's one X-Request-Id (nginx's, which the server also used)."""
    ids = reply.headers.get_all("X-Request-Id") or []
    assert len(ids) == 1, f"X-Request-Id headers: {ids}"
    return ids[0]


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    if not os.path.exists(NGINX):
        pytest.fail(f"nginx is not installed ({NGINX}): apt-get install nginx", pytrace=False)
    folder = str(tmp_path_factory.mktemp("nginx"))
    ports = Ports(http=free_port(), https=free_port(), server_a=free_port(), server_b=free_port())
    cert_path, key_path = tls_certificate(folder)
    data_dir = os.path.join(folder, "local-cognito")
    # The same data folder and local Cognito port for both: A starts the local Cognito, B finds it
    # serving that folder there and uses it, so both serve the same users and sessions.
    shared = {"LOCAL_COGNITO_PORT": str(free_port()), "LOCAL_COGNITO_CODE": CODE,
              "TRUSTED_PROXIES": "127.0.0.1", "BASE_URL": f"https://localhost:{ports.https}",
              "RATE_LIMIT_PER_ADDRESS": RATE_LIMIT, "LOG_FORMAT": "text"}
    servers: dict[str, ServerProcess] = {}
    for name, port in (("A", ports.server_a), ("B", ports.server_b)):
        # Each with its log (the access log among it) in a file of its own, so that a request id in
        # an answer tells which process served it.
        servers[name] = local_server(data_dir, port, log_path=os.path.join(folder, f"server-{name}.log"), **shared)
        # Stopped in reverse order (B, then A, whose local Cognito B uses), after nginx.
        request.addfinalizer(servers[name].stop)
    with open(DEPLOYED_CONFIG) as deployed:
        nginx = Nginx(folder, config_for_tests(deployed.read(), folder, ports, cert_path, key_path), ports)
    request.addfinalizer(nginx.stop)
    return Stack(ports, cert_path, nginx, servers)


def test_the_walkthrough_through_nginx_signs_in_on_one_process_and_refreshes_on_the_other(stack):
    browser = Browser(stack, WALKTHROUGH_CLIENT)
    email = f"walker-{uuid.uuid4().hex[:10]}@example.com"

    reply = browser.post({"env": "createAccount", "user": email, "pass": PASSWORD})
    assert reply.status == 200 and reply.json["message"] == "OK", reply.body
    assert reply.headers["Strict-Transport-Security"] == "max-age=63072000"
    reply = browser.post({"env": "confirmAccount", "user": email, "pass": PASSWORD, "conf_code": CODE})
    assert reply.status == 200 and reply.json["access_token"], reply.body

    reply = browser.post({"env": "signIn", "user": email, "pass": PASSWORD})
    assert reply.status == 200 and reply.json["access_token"], reply.body
    # nginx passes the refresh cookie on as the server wrote it.
    [refresh_cookie] = [c for c in reply.set_cookies() if c.startswith("__Host-refresh=")]
    assert {"Secure", "HttpOnly", "Path=/", "SameSite=Strict"} <= {a.strip() for a in refresh_cookie.split(";")}
    assert "refresh" not in reply.body.decode().lower()
    signed_in_by = stack.served_by(request_id(reply))

    # nginx takes the processes in turn: the refresh lands on the other one within a few tries
    # (each try is a successful refresh too).
    refreshed_by: list[str] = []
    for _ in range(6):
        reply = browser.post({"env": "refresh"})
        assert reply.status == 200 and reply.json["access_token"], reply.body
        refreshed_by.append(stack.served_by(request_id(reply)))
        if refreshed_by[-1] != signed_in_by:
            break
    assert refreshed_by[-1] != signed_in_by, f"signed in by {signed_in_by}, every refresh by {refreshed_by}"
    access_token = reply.json["access_token"]

    reply = browser.post({"env": "changePass", "old_pass": PASSWORD, "new_pass": PASSWORD + "_again",
                          "access_token": access_token})
    assert reply.status == 200 and reply.json["other_sessions_ended"] is True, reply.body
    assert reply.json["access_token"] != access_token
    assert browser.post({"env": "signIn", "user": email, "pass": PASSWORD}).status == 401
    reply = browser.post({"env": "signIn", "user": email, "pass": PASSWORD + "_again"})
    assert reply.status == 200, reply.body

    reply = browser.post({"env": "deleteAcct", "access_token": reply.json["access_token"]})
    assert reply.status == 200 and "__Host-refresh" not in browser.cookies, reply.body
    assert browser.post({"env": "signIn", "user": email, "pass": PASSWORD + "_again"}).status == 401


@pytest.mark.parametrize("client, neighbour", [
    ("127.0.0.2", "127.0.0.3"),
    # On nginx's own machine the client's address is a trusted proxy's: were nginx to append to the
    # client's X-Forwarded-For instead of replacing it, the server would take the spoofed entry.
    ("127.0.0.1", "127.0.0.6"),
], ids=["remote client", "client on the proxy's machine"])
def test_a_spoofed_x_forwarded_for_does_not_get_around_the_per_address_limit(stack, client, neighbour):
    spoofer = Browser(stack, client)
    answers = []  # (process, reply), in order
    # More calls than both processes' budgets together: whichever way nginx spreads them, one
    # process sees more than its budget.
    for attempt in range(2 * RATE_LIMIT_CALLS + 2):
        # A different made-up address each time (and a different user, so only the address repeats).
        forged = [f"203.0.113.{attempt + 1}", f"198.51.100.{attempt + 1}, 127.0.0.1", "127.0.0.1"][attempt % 3]
        reply = spoofer.post({"env": "signIn", "user": f"nobody-{uuid.uuid4().hex[:10]}@example.com",
                              "pass": "not the password"}, {"X-Forwarded-For": forged})
        answers.append((stack.served_by(request_id(reply)), reply))

    for _, reply in answers:
        if reply.status == 429:
            assert reply.json["error"] == "RateLimited", reply.body
            assert int(reply.headers["Retry-After"]) > 0
        else:
            assert reply.status == 401 and reply.json["error"] == "NotAuthorized", reply.body
    # Within the budget the calls are answered; beyond each process's budget every one is refused.
    assert all(reply.status == 401 for _, reply in answers[:RATE_LIMIT_CALLS]), [r.status for _, r in answers]
    for name in stack.servers:
        served = [reply.status for process, reply in answers if process == name]
        assert all(status == 429 for status in served[RATE_LIMIT_CALLS:]), (name, served)
    assert any(reply.status == 429 for _, reply in answers), [r.status for _, r in answers]

    # Another address has its own budget.
    other = Browser(stack, neighbour)
    for _ in range(2):
        reply = other.post({"env": "signIn", "user": f"nobody-{uuid.uuid4().hex[:10]}@example.com",
                            "pass": "not the password"})
        assert reply.status == 401 and reply.json["error"] == "NotAuthorized", reply.body


def padded_refresh(size: int) -> bytes:
    """A valid POST / body of exactly ``size`` bytes."""
    body = b'{"env": "refresh"}'
    return body + b" " * (size - len(body))


def assert_refused_by_nginx(stack, reply, code: str) -> None:
    """nginx answered 413 itself, with the server's own JSON for ``code``, and passed nothing on."""
    assert reply.status == 413, reply.body
    assert reply.json == {"message": CATALOGUE[code].message, "error": code}
    refused = request_id(reply)
    assert "upstream=- " in stack.nginx.access_log_line(refused)
    assert not stack.logged_by_a_server(refused)


def test_nginx_refuses_a_body_larger_than_the_server_takes_before_it_reaches_a_process(stack):
    browser = Browser(stack, LIMITS_CLIENT)

    # 64 KiB exactly is the server's to answer (no session cookie here).
    reply = browser.post(padded_refresh(64 * 1024))
    assert reply.status == 401 and reply.json["error"] == "NoSession", reply.body
    stack.served_by(request_id(reply))

    # One byte more: nginx answers, with the server's JSON, and passes nothing on.
    assert_refused_by_nginx(stack, browser.post(padded_refresh(64 * 1024 + 1)), "BodyTooLarge")


def test_nginx_lets_a_5_mib_photo_through_and_refuses_a_larger_body(stack):
    browser = Browser(stack, LIMITS_CLIENT)
    photo = os.urandom(5 * 1024 * 1024)

    # A 5 MiB photo passes nginx; with no access token the server refuses it.
    body, headers = form(photo, "a full-size photo")
    reply = browser.request("POST", "/photos", body, headers)
    assert reply.status == 401 and reply.json["error"] == "MissingToken", reply.body
    stack.served_by(request_id(reply))

    body, headers = form(photo + photo[:1024 * 1024 + 1], "too large")
    assert_refused_by_nginx(stack, browser.request("POST", "/photos", body, headers), "PhotoTooLarge")


def test_plain_http_is_redirected_to_https(stack):
    for method, body in (("GET", None), ("POST", b'{"env": "refresh"}')):
        connection = http.client.HTTPConnection("127.0.0.1", stack.ports.http, timeout=10)
        try:
            connection.request(method, "/healthz?from=http", body, {"Host": f"localhost:{stack.ports.http}"})
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        assert response.status == 301
        assert response.headers["Location"] == f"https://localhost:{stack.ports.https}/healthz?from=http"

    # Where it leads: a process answers, over TLS with HTTP/2 on offer.
    reply = Browser(stack, LIMITS_CLIENT).request("GET", "/healthz?from=http")
    assert reply.status == 200 and reply.json == {"status": "alive"}
    stack.served_by(request_id(reply))
    context = ssl.create_default_context(cafile=stack.cert_path)
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", stack.ports.https), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.selected_alpn_protocol() == "h2"
            assert tls.version() in ("TLSv1.2", "TLSv1.3")

