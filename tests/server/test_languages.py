"""English and French (server/languages.py): every message of the error catalogue has its French,
the language is chosen from the page's cookie or Accept-Language (q-values honoured), and over real
HTTP only ``message`` changes: the ``error`` code and the status stay the same."""

from __future__ import annotations

import html
import json
import re

import pytest

from server import languages
from server.errors import CATALOGUE, ApiError
from tests.support import Client


def test_every_message_of_the_catalogue_has_its_french():
    lacking = sorted(set(CATALOGUE) - set(languages.FRENCH))
    assert not lacking, "These error codes have no French sentence in server/languages.py's FRENCH: " + ", ".join(
        lacking
    )
    unknown = sorted(set(languages.FRENCH) - set(CATALOGUE))
    assert not unknown, "FRENCH has sentences for codes the catalogue does not have: " + ", ".join(unknown)
    for code, french in languages.FRENCH.items():
        english = CATALOGUE[code].message
        assert french.strip() and french != english, code
        # What a person must type or read exactly stays as it is: method names, settings, paths.
        for kept in re.findall(r"\b(?:[a-z]+[A-Z]\w*|[A-Z]{2,}[A-Z_]+|/\w+)\b", english):
            assert kept in french, f"{code}: {kept!r} is missing from the French"


def test_every_phrase_of_the_servers_html_has_its_french():
    for english, french in languages.PHRASES["fr"].items():
        assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", french)), english


@pytest.mark.parametrize(
    "header, cookie, expected",
    [
        (None, None, "en"),
        ("fr", None, "fr"),
        ("fr-CA,fr;q=0.9,en;q=0.8", None, "fr"),
        ("en-GB,en;q=0.9,fr;q=0.8", None, "en"),
        ("de-DE, fr;q=0.5, en;q=0.3", None, "fr"),  # German is not ours: the best of the rest
        ("en;q=0.4, fr;q=0.6", None, "fr"),  # by q-value, not by order
        ("fr;q=0, en", None, "en"),  # q=0: not French
        ("fr;q=0", None, "en"),
        ("*", None, "en"),
        ("de, *;q=0.1", None, "en"),
        ("fr;q=2, nonsense;;", None, "en"),  # malformed ranges are ignored
        ("en", "fr", "fr"),  # the page's choice wins over the header
        ("fr", "en", "en"),
        ("fr", "de", "fr"),  # a cookie naming no language of ours is not a choice
    ],
)
def test_the_language_comes_from_the_cookie_then_accept_language(header, cookie, expected):
    assert languages.choose(header, cookie) == expected


def test_an_errors_sentence_is_in_the_language_of_the_request_and_its_own_only_in_english():
    error = ApiError("InvalidField", 'The field "user" must be an email address.')
    languages.use("fr")
    try:
        assert ApiError("NotAuthorized").message == "Nom d'utilisateur ou mot de passe incorrect."
        assert error.message == languages.FRENCH["InvalidField"]  # the code's sentence; "field" says which
    finally:
        languages.use("en")
    assert error.message == 'The field "user" must be an email address.'


def _sign_in(client: Client, headers: dict[str, str]):
    body = json.dumps({"env": "signIn", "user": "nobody-here@example.com", "pass": "not the password"}).encode()
    return client.request("POST", "/", body, {"Content-Type": "application/json", **headers})


def test_json_answers_keep_their_code_and_translate_only_the_message(base_url):
    client = Client(base_url)
    english = _sign_in(client, {})
    french = _sign_in(client, {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert english.status == french.status == 401
    assert english.json["error"] == french.json["error"] == "NotAuthorized"
    assert english.json["message"] == CATALOGUE["NotAuthorized"].message
    assert french.json["message"] == languages.FRENCH["NotAuthorized"]
    assert set(english.json) == set(french.json)
    # The page's switch (the lang cookie) wins over the browser's header, both ways.
    chosen = _sign_in(client, {"Accept-Language": "en", "Cookie": "lang=fr"})
    assert chosen.json["message"] == languages.FRENCH["NotAuthorized"]
    assert (
        _sign_in(client, {"Accept-Language": "fr", "Cookie": "lang=en"}).json["message"]
        == CATALOGUE["NotAuthorized"].message
    )
    # JSON-RPC: the error's data too.
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "signIn",
        "params": {"user": "nobody-here@example.com", "pass": "not the password"},
    }
    rpc = client.request(
        "POST", "/", json.dumps(call).encode(), {"Content-Type": "application/json", "Accept-Language": "fr"}
    )
    assert rpc.json["error"]["data"]["error"] == "NotAuthorized"
    assert rpc.json["error"]["data"]["message"] == rpc.json["error"]["message"] == languages.FRENCH["NotAuthorized"]


def test_login_sends_the_persons_language_to_the_hosted_ui(base_url):
    def lang_sent(headers):
        location = Client(base_url).request("GET", "/login", headers=headers, follow=False).headers["Location"]
        return re.search(r"[?&]lang=(\w+)", location)

    assert lang_sent({"Accept-Language": "fr;q=0.8, en;q=0.5"}).group(1) == "fr"
    assert lang_sent({"Cookie": "lang=fr"}).group(1) == "fr"
    assert lang_sent({"Accept-Language": "en-US"}) is None  # English is the hosted UI's own
    page = Client(base_url).request(
        "GET", "/login?next=https://elsewhere.example", headers={"Accept": "text/html", "Accept-Language": "fr"}
    )
    assert page.status == 400 and "<html lang=fr>" in page.text and "Problème de connexion" in page.text
    assert html.escape(languages.FRENCH["InvalidNext"]) in page.text
