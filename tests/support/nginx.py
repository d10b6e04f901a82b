"""nginx in front of two ``tornado_server.py`` processes, as the tests run deploy/nginx.conf.

- ``config_for_tests``: the shipped file with only what a test must change (ports, certificate,
  folders), each an exact replacement of a line the file must contain.
- ``Nginx``: the real nginx in the foreground over a folder of its own, TLS with a certificate made
  here (``tls_certificate``).
- ``start_stack``: nginx and two local-mode servers A and B behind it that share one local Cognito,
  each with a log of its own (``Stack.served_by`` tells which one answered a request), which can be
  stopped and started again (``Stack.restart_servers``).
- ``Browser``: a client of nginx over HTTPS from a loopback address of its own.
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
from http.cookies import SimpleCookie
from typing import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.accounts import CODE
from tests.support.http import Reply
from tests.support.processes import ROOT, ServerProcess, free_port, local_server

DEPLOYED_CONFIG = os.path.join(ROOT, "deploy", "nginx.conf")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def tls_certificate(folder: str) -> tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key: (cert path, key path).
    The client trusts it as its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(folder, "localhost.pem"), os.path.join(folder, "localhost.key")
    with open(cert_path, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
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
    temp_paths = "".join(
        f"    {kind}_temp_path {folder}/{kind}_temp;\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
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
            self.process = subprocess.Popen(
                [NGINX, "-p", folder, "-c", self.config_path, "-g", "daemon off;"],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
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
    """nginx and the two server processes behind it (A and B), as the tests reach them.

    Both servers run in local mode over one data folder and one local Cognito port: A starts the
    local Cognito, B finds it serving that folder there and uses it, so both serve the same users
    and sessions. Each has its log (the access log among it) in a file of its own, so that a request
    id in an answer tells which process served it, and a photos folder of its own."""

    NAMES = ("A", "B")

    def __init__(self, folder: str, ports: Ports, cert_path: str, server_env: dict[str, str]):
        self.folder = folder
        self.ports = ports
        self.cert_path = cert_path
        self.server_env = server_env
        self.nginx: Nginx | None = None
        self.servers: dict[str, ServerProcess] = {}
        self.tls = ssl.create_default_context(cafile=cert_path)
        self._starts = 0

    def server_port(self, name: str) -> int:
        return {"A": self.ports.server_a, "B": self.ports.server_b}[name]

    def start_servers(self) -> None:
        self._starts += 1
        data_dir = os.path.join(self.folder, "local-cognito")
        for name in self.NAMES:
            log_path = os.path.join(self.folder, f"server-{name}-{self._starts}.log")
            # A photos folder each, as on two machines.
            env = {"PHOTOS_DATA": os.path.join(self.folder, f"photos-{name}"), **self.server_env}
            self.servers[name] = local_server(data_dir, self.server_port(name), log_path=log_path, **env)

    def stop_servers(self) -> dict[str, str]:
        """SIGTERM to B, then A (whose local Cognito B uses); what each wrote."""
        outputs, failures = {}, []
        for name in reversed(self.NAMES):
            if name in self.servers:
                try:
                    outputs[name] = self.servers.pop(name).stop()
                except AssertionError as failure:  # the other one is stopped all the same
                    failures.append(failure)
        if failures:
            raise failures[0]
        return outputs

    def restart_servers(self) -> None:
        self.stop_servers()
        self.start_servers()

    def stop(self) -> None:
        try:
            if self.nginx is not None:
                self.nginx.stop()
        finally:
            self.stop_servers()

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

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.stack.ports.https, context=self.stack.tls, source_address=(self.source, 0), timeout=30
        )
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


def start_stack(folder: str, on_teardown: Callable[[Callable[[], None]], None], **server_env: str) -> Stack:
    """nginx running deploy/nginx.conf in front of servers A and B, with ``server_env`` added to their
    settings; ``on_teardown`` (a fixture's ``request.addfinalizer``) is handed what stops it all."""
    if not os.path.exists(NGINX):
        pytest.fail(f"nginx is not installed ({NGINX}): apt-get install nginx", pytrace=False)
    ports = Ports(http=free_port(), https=free_port(), server_a=free_port(), server_b=free_port())
    cert_path, key_path = tls_certificate(folder)
    env = {
        "LOCAL_COGNITO_PORT": str(free_port()),
        "LOCAL_COGNITO_CODE": CODE,
        "TRUSTED_PROXIES": "127.0.0.1",
        "BASE_URL": f"https://localhost:{ports.https}",
        "LOG_FORMAT": "text",
        **server_env,
    }
    stack = Stack(folder, ports, cert_path, env)
    on_teardown(stack.stop)
    stack.start_servers()
    with open(DEPLOYED_CONFIG) as deployed:
        stack.nginx = Nginx(folder, config_for_tests(deployed.read(), folder, ports, cert_path, key_path), ports)
    return stack
