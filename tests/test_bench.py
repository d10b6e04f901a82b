"""The benchmark (bench/) still runs: its quickest mode gives a table with every server in it.

Performance targets are not asserted here (the machine running the tests is not the benchmark's);
only that each server signed in through the stand-in Cognito under wrk, and that the table parses.
wrk is required: CI installs it, and a missing wrk fails this test rather than skipping it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

from bench import run as bench_run
from bench.standin_cognito import CLIENT_ID, CLIENT_SECRET, StandinCognito, secret_hash

ROOT = Path(__file__).resolve().parent.parent


def table_rows(markdown: str) -> list[list[str]]:
    """The rows of the first table (clients | server | signIn/s | ...), header and rule left out."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| clients | server |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_quick_benchmark_measures_every_server(tmp_path):
    assert shutil.which("wrk"), "wrk is not installed (apt-get install wrk): the benchmark needs it"
    output = tmp_path / "results.md"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    markdown = output.read_text()
    assert completed.stdout.strip() == markdown.strip()  # printed, and written
    rows = table_rows(markdown)
    servers = {kind.label for kind in bench_run.KINDS}
    assert {row[1] for row in rows} == servers
    assert {int(row[0]) for row in rows} == {1, 16}
    for clients, server, throughput, p50, p99, cpu_ms, errors in rows:
        assert float(throughput.replace(",", "")) > 0, (server, clients, throughput)
        assert float(cpu_ms) > 0, (server, clients, cpu_ms)
        assert float(p50.replace(",", "")) > 0 and float(p99.replace(",", "")) >= float(p50.replace(",", ""))
        assert errors == "0", (server, clients, errors)
    assert "## Targets" in markdown


def test_standin_answers_sign_in_and_switches_modes():
    """The stand-in's own contract: what the benchmark relies on, and the modes it offers."""

    async def scenario() -> list:
        standin = StandinCognito(latency=0.01, password="right password")
        port = await standin.start()

        async def initiate_auth(password: str) -> tuple[int, dict]:
            body = json.dumps(
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": CLIENT_ID,
                    "AuthParameters": {
                        "USERNAME": "sam@example.com",
                        "PASSWORD": password,
                        "SECRET_HASH": secret_hash("sam@example.com", CLIENT_ID, CLIENT_SECRET),
                    },
                }
            ).encode()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth"
                b"\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            status = int((await reader.readline()).split()[1])
            headers = {}
            while (line := await reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            answer = json.loads(await reader.readexactly(int(headers["content-length"])))
            writer.close()
            await writer.wait_closed()
            return status, answer

        results = [await initiate_auth("right password"), await initiate_auth("wrong")]
        await standin.set_mode("throttle")
        results.append(await initiate_auth("right password"))
        await standin.set_mode("refuse")
        try:
            await asyncio.open_connection("127.0.0.1", port)
            results.append("connected")
        except OSError:
            results.append("refused")
        await standin.set_mode("ok")
        results.append((await initiate_auth("right password"))[0])
        results.append(standin.requests)
        await standin.stop()
        return results

    signed_in, wrong, throttled, refused, back, count = asyncio.run(scenario())
    assert signed_in[0] == 200
    tokens = signed_in[1]["AuthenticationResult"]
    assert set(tokens) == {"AccessToken", "IdToken", "RefreshToken", "ExpiresIn", "TokenType"}
    assert tokens["AccessToken"].count(".") == 2 and tokens["RefreshToken"].count(".") == 4
    assert wrong == (400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."})
    assert throttled[0] == 400 and throttled[1]["__type"] == "TooManyRequestsException"
    assert refused == "refused"
    assert back == 200
    assert count == 4
