"""A throw-away PostgreSQL server for the tests that keep photo records in it.

It is Debian's ``postgresql`` package (never a download): a cluster made by ``initdb`` in a temporary
folder, served by ``pg_ctl`` on a free loopback port, stopped and started again at will (it keeps its
data), with a database of its own for each test that asks (``new_database``). Passwords are checked
(scram-sha-256), as on a managed database. The tests read and write it with ``psql``, the package's
own client, so what they see of the database does not go through the server's driver.

PostgreSQL refuses to run as root. Under root (as CI runs) the cluster belongs to the ``postgres``
user that the package makes, and the commands that touch its files run as that user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import urllib.parse

import pytest

from tests.support.processes import free_port

SUPERUSER = "postgres"


def postgres_bin() -> str | None:
    """The folder of the newest installed PostgreSQL's programs (Debian keeps them off PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0,
    )
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class PostgresServer:
    """A PostgreSQL cluster of its own on a free loopback port; ``start`` and ``stop`` at will."""

    def __init__(self):
        self.bin = postgres_bin()
        self.port = free_port()
        # With characters a URL must percent-encode, as a generated password may have.
        self.password = secrets.token_urlsafe(18) + "@:/?#%"
        self.folder = tempfile.mkdtemp(prefix="photos-postgres-")
        self.data = os.path.join(self.folder, "data")
        self.log_path = os.path.join(self.folder, "postgres.log")
        self.owner = None
        self.tls = False
        if os.geteuid() == 0:  # the cluster is the postgres user's: it runs as that user
            self.owner = pwd.getpwnam("postgres")
            os.chown(self.folder, self.owner.pw_uid, self.owner.pw_gid)
        password_file = os.path.join(self.folder, "password")
        with open(password_file, "w") as out:
            out.write(self.password + "\n")
        if self.owner is not None:
            os.chown(password_file, self.owner.pw_uid, self.owner.pw_gid)
        self._as_owner(
            "initdb",
            "-D",
            self.data,
            "-U",
            SUPERUSER,
            f"--pwfile={password_file}",
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        os.remove(password_file)

    def _as_owner(self, program: str, *args: str) -> subprocess.CompletedProcess:
        command = [os.path.join(self.bin, program), *args]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner.pw_name, "--", *command]
        result = subprocess.run(
            command,
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed:\n{result.stdout}\n{self.server_log()}")
        return result

    def server_log(self) -> str:
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def serve_tls(self, cert_path: str, key_path: str) -> None:
        """From the next start on, offer TLS with this certificate and key (plain connections are still
        taken, as on a server whose clients choose with sslmode)."""
        for source, name in ((cert_path, "server.crt"), (key_path, "server.key")):
            target = os.path.join(self.folder, name)
            shutil.copyfile(source, target)
            os.chmod(target, 0o600)  # PostgreSQL refuses a key others can read
            if self.owner is not None:
                os.chown(target, self.owner.pw_uid, self.owner.pw_gid)
        self.tls = True

    def start(self) -> None:
        """Serve on 127.0.0.1:``port`` (and a socket in the folder); returns once it takes connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
            "-c fsync=off -c max_connections=200"
        )
        if self.tls:
            options += f" -c ssl=on -c ssl_cert_file={self.folder}/server.crt -c ssl_key_file={self.folder}/server.key"
        self._as_owner("pg_ctl", "-D", self.data, "-l", self.log_path, "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """A fast shutdown: connections are closed, the data kept."""
        self._as_owner("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")

    @property
    def running(self) -> bool:
        return os.path.exists(os.path.join(self.data, "postmaster.pid"))

    def remove(self) -> None:
        if self.running:
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(
        self, database: str = "postgres", *, user: str = SUPERUSER, password: str | None = None, query: str = ""
    ) -> str:
        secret = urllib.parse.quote(self.password if password is None else password, safe="")
        return f"postgresql://{user}:{secret}@127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def psql(self, database: str, statement: str) -> list[list[str]]:
        """Rows of ``statement``, run by psql as the superuser: each a list of its fields as text."""
        result = subprocess.run(
            [
                os.path.join(self.bin, "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-A",
                "-t",
                "-F",
                "\t",
                "-c",
                statement,
            ],
            env={**os.environ, "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "10"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed on {statement!r}: {result.stderr}")
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def new_database(self) -> str:
        """A new, empty database; its name."""
        name = "photos_" + secrets.token_hex(6)
        self.psql("postgres", f"CREATE DATABASE {name}")
        return name

    def new_user(self) -> tuple[str, str]:
        """A new user that may log in, and nothing more: (its name, its password)."""
        name, password = "user_" + secrets.token_hex(6), secrets.token_urlsafe(18) + "@:/?#%"
        self.psql("postgres", f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        return name, password

    def new_database_of_its_own(self) -> str:
        """As production.md says to make one: a new user and a new database it owns; its URL."""
        user, password = self.new_user()
        name = "photos_" + secrets.token_hex(6)
        self.psql("postgres", f"CREATE DATABASE {name} OWNER {user}")
        return self.url(name, user=user, password=password)

    def photo_rows(self, database: str, owner: str) -> int:
        """How many photo records ``database`` holds for ``owner``."""
        return int(self.psql(database, f"SELECT count(*) FROM photos WHERE owner = '{owner}'")[0][0])


def postgres_server():
    """A started PostgresServer, removed when the generator ends: the body of a fixture. Without
    PostgreSQL installed the test fails (never skips), saying how to install it."""
    if postgres_bin() is None:
        pytest.fail(
            "PostgreSQL is not installed, and the photo-records tests need it: "
            "apt-get install postgresql (.ci/run does).",
            pytrace=False,
        )
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()
