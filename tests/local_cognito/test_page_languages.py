"""The local Cognito's pages in French (local_cognito/page_languages.py): every sentence the pages give
``_`` has its French, and over real HTTP the hosted UI and the Login with Amazon stand-in speak the
language of the ``lang`` parameter (as Cognito's managed login does), else of Accept-Language, and
keep it from page to page."""

from __future__ import annotations

import ast
import pathlib
import re
import urllib.parse

from local_cognito import page_languages
from local_cognito.amazon_stand_in import AUTHORIZE_PATH
from tests.support import PASSWORD
from tests.support.local_hosted_ui import Browser, authorization, error_page, sign_in_page
from tests.support.local_pool import new_email, new_user, password_auth

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Every module that words a page: those that import ``_`` (a new page module is found without a list).
PAGE_MODULES = sorted(
    str(path.relative_to(ROOT / "local_cognito"))
    for path in (ROOT / "local_cognito").rglob("*.py")
    if "from local_cognito.page_languages import" in path.read_text()
)


def sentences_given_to_underscore() -> dict[str, str]:
    """Every string literal passed to ``_`` in the local Cognito's page modules, with where it is."""
    found = {}
    for name in PAGE_MODULES:
        tree = ast.parse((ROOT / "local_cognito" / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_":
                argument = node.args[0]
                assert isinstance(argument, ast.Constant), f"local_cognito/{name}:{node.lineno}: _ needs a literal"
                found[argument.value] = f"local_cognito/{name}:{node.lineno}"
    return found


def test_every_sentence_of_the_pages_has_its_french():
    given = sentences_given_to_underscore()
    assert len(given) > 40
    lacking = [f"{where}: {english!r}" for english, where in given.items() if english not in page_languages.FRENCH]
    assert not lacking, (
        "These sentences of the local Cognito's pages have no French in "
        "local_cognito/page_languages.py:\n" + "\n".join(lacking)
    )
    for english, french in page_languages.FRENCH.items():
        assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", french)), english


def test_the_hosted_ui_speaks_the_language_of_lang_and_keeps_it(local, pool):
    browser = Browser(local.endpoint_url)
    request = authorization(pool, lang="fr")
    started = browser.get("/oauth2/authorize", request.params)
    assert started.status == 302 and "lang=fr" in started.location
    page = browser.get(started.location)
    assert page.status == 200 and '<html lang="fr">' in page.text
    assert "<h1>Se connecter</h1>" in page.text and "Mot de passe oublié ?" in page.text
    assert "Sign in" not in page.text and "lang=fr" in re.search(r'href="(/signup[^"]+)"', page.text).group(1)
    form = page.form("/login")
    assert form["lang"] == "fr"
    wrong = browser.post("/login", dict(form, email=new_email(), password="not the password"))
    assert wrong.status == 400 and "Nom d&#x27;utilisateur ou mot de passe incorrect." in wrong.text
    # Without lang, the browser's Accept-Language; English otherwise.
    english = sign_in_page(browser, authorization(pool))
    assert '<html lang="en">' in english.text and "<h1>Sign in</h1>" in english.text
    assert 'name="lang"' not in english.text
    started = browser.request(
        "GET",
        "/oauth2/authorize?" + urllib.parse.urlencode(authorization(pool).params),
        headers={"Accept-Language": "de, fr;q=0.7, en;q=0.3"},
    )
    assert "lang=fr" in started.location


def test_error_pages_and_the_stand_in_are_in_french_too(local, pool):
    browser = Browser(local.endpoint_url)
    refused = browser.get("/oauth2/authorize", dict(authorization(pool).params, identity_provider="Google", lang="fr"))
    assert "Cette option de connexion n&#x27;est pas disponible. Essayez-en une autre." in error_page(refused)
    unknown = urllib.parse.urlencode({"client_id": "nobody", "redirect_uri": "x"})
    stand_in = browser.request("GET", f"{AUTHORIZE_PATH}?{unknown}", headers={"Accept-Language": "fr"})
    assert stand_in.status == 400 and '<html lang="fr">' in stand_in.text
    assert "Ce client ou cette adresse de retour n&#x27;est pas enregistré." in stand_in.text


def test_a_form_refused_before_it_is_read_is_answered_in_french_too(local):
    refused = Browser(local.endpoint_url).post("/login", {"lang": "fr", "email": "a@example.com", "password": "x"})
    assert refused.status == 403 and '<html lang="fr">' in refused.text
    assert "Cette page a expiré ou a été modifiée." in refused.text


def test_the_refusal_of_an_account_with_emailed_codes_is_in_french_too(local, pool, idp):
    """The local Cognito's own sentence for an account whose codes these pages do not ask for."""
    email = new_user(idp)
    token = password_auth(idp, email)["AuthenticationResult"]["AccessToken"]
    idp.set_user_mfa_preference(AccessToken=token, EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    browser = Browser(local.endpoint_url)
    started = browser.get("/oauth2/authorize", authorization(pool, lang="fr").params)
    page = browser.get(started.location)
    refused = browser.post("/login", dict(page.form("/login"), email=email, password=PASSWORD))
    assert refused.status == 400 and refused.location is None
    assert (
        "Ce compte se connecte avec un code envoyé par SMS ou par e-mail, que cette page de connexion ne "
        "demande pas : connectez-vous sur la page de l&#x27;application." in refused.text
    )
    assert "sign in on the app" not in refused.text
