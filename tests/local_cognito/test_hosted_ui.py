"""The local Cognito's hosted UI (local_cognito/hosted_ui.py, pages.py, oauth/hosted_sign_in.py): its
sign-in, code, new-password and sign-up pages, the hosted-UI session and logout, as Amazon Cognito's
hosted UI behaves.

Every test drives the module's local Cognito over real HTTP like a browser would (cookies kept by
hand, no redirect followed), on a pool whose clock the tests move.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import urllib.parse

import jwt

from local_cognito.totp import STEP_SECONDS
from tests.support import CODE, PASSWORD
from tests.support.local_hosted_ui import (
    APP,
    CALLBACK,
    SIGNED_OUT,
    Browser,
    authorization,
    code_from,
    error_page,
    exchange,
    sign_in_page,
    submit_password,
)
from tests.support.local_pool import admin_created, code_at, new_email, new_user, password_auth, with_mfa


def test_pages_escape_what_they_carry(browser, pool):
    request = authorization(pool, state='"><script>alert(1)</script>')
    page = sign_in_page(browser, request)
    assert "<script>" not in page.text and "&lt;script&gt;" not in page.text  # it is in the signed field
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    wrong = submit_password(browser, page, '"><img src=x>@example.com', "wrong password")
    assert wrong.status == 400 and "<img" not in wrong.text and "&quot;&gt;&lt;img src=x&gt;" in wrong.text


# --- the sign-in page -----------------------------------------------------------------------------


def test_wrong_password_and_unknown_user_read_the_same(browser, pool, idp):
    email = new_user(idp)
    request = authorization(pool)
    wrong = submit_password(browser, sign_in_page(browser, request), email, "not the password")
    unknown = submit_password(browser, sign_in_page(browser, request), "nobody-" + email, "not the password")
    for reply in (wrong, unknown):
        assert reply.status == 400 and reply.location is None
        assert "Incorrect username or password." in reply.text
        assert "cognito" not in browser.cookies
    # The page is the sign-in form again, ready for another try.
    assert wrong.form("/login")["flow"]


def test_a_disabled_user_is_told_so(browser, pool, idp, admin):
    email = new_user(idp)
    admin.admin_disable_user(UserPoolId=pool.pool_id, Username=email)
    reply = submit_password(browser, sign_in_page(browser, authorization(pool)), email)
    assert reply.status == 400 and "User is disabled." in reply.text and reply.location is None


def test_an_unconfirmed_user_is_asked_for_the_code_then_signed_in(browser, local, pool, idp):
    email = new_email()
    idp.sign_up(ClientId=idp.client_id, SecretHash=idp.hash(email), Username=email, Password=PASSWORD)
    request = authorization(pool)
    wrong = submit_password(browser, sign_in_page(browser, request), email, "not the password")
    assert "Incorrect username or password." in wrong.text  # the code form only after the password
    page = submit_password(browser, sign_in_page(browser, request), email)
    assert page.status == 200 and "not confirmed" in page.text
    code = code_from(browser.post("/confirm", dict(page.form("/confirm"), code=CODE)), request)
    assert exchange(local, pool, request, code).status == 200


def test_a_tampered_or_misused_form_state_is_refused(browser, pool, idp):
    email = new_user(idp)
    page = sign_in_page(browser, authorization(pool))
    fields = dict(page.form("/login"), email=email, password=PASSWORD)
    flow = fields["flow"]
    evil = base64.b64encode(
        json.dumps(
            {"step": "password", "request": dict(authorization(pool).params, redirect_uri="http://evil.example/")}
        ).encode()
    ).decode()
    parts = flow.split("|")
    parts[4] = f"{len(evil)}:{evil}"  # the payload, its signature left as it was
    tampered = [flow[:-1] + ("0" if flow[-1] != "0" else "1"), "|".join(parts), ""]
    signup_flow = browser.get("/signup", authorization(pool).params).form("/signup")["flow"]
    for value in tampered + [signup_flow]:  # a sign-up form's state is no sign-in's
        text = error_page(browser.post("/login", dict(fields, flow=value)))
        assert "expired or was changed" in text and "cognito" not in browser.cookies
    # Without the _xsrf cookie (as in a cross-site post, which SameSite=Lax keeps it from): refused.
    del browser.cookies["_xsrf"]
    assert error_page(browser.post("/login", fields), status=403)
    assert "cognito" not in browser.cookies


def test_a_sign_in_form_expires_after_an_hour(browser, pool, idp, clock):
    email = new_user(idp)
    page = sign_in_page(browser, authorization(pool))
    clock.advance(3601)
    assert "expired" in error_page(submit_password(browser, page, email))


def test_the_mfa_user_gets_the_code_form(browser, local, pool, idp, clock):
    user, secret = with_mfa(idp, clock)
    request = authorization(pool)
    page = submit_password(browser, sign_in_page(browser, request), user["email"])
    assert page.status == 200 and "authenticator" in page.text and "cognito" not in browser.cookies
    form = page.form("/login/mfa")
    right = code_at(secret, clock())
    wrong = next(c for c in ("000000", "111111") if c != right)
    again = browser.post("/login/mfa", dict(form, code=wrong))
    assert again.status == 400 and "Invalid code received for user" in again.text
    code = code_from(
        browser.post("/login/mfa", dict(again.form("/login/mfa"), code=right[:3] + " " + right[3:])), request
    )
    assert exchange(local, pool, request, code).status == 200

    # The same TOTP code is no good a second time, in a new sign-in from another browser.
    other = Browser(local.endpoint_url)
    page = submit_password(other, sign_in_page(other, authorization(pool)), user["email"])
    refused = other.post("/login/mfa", dict(page.form("/login/mfa"), code=right))
    assert refused.status == 400 and refused.location is None
    clock.advance(STEP_SECONDS)
    assert other.post("/login/mfa", dict(refused.form("/login/mfa"), code=code_at(secret, clock()))).status == 302


def test_an_expired_mfa_step_starts_over(browser, pool, idp, clock):
    user, secret = with_mfa(idp, clock)
    page = submit_password(browser, sign_in_page(browser, authorization(pool)), user["email"])
    clock.advance(181)  # Cognito's three minutes
    reply = browser.post("/login/mfa", dict(page.form("/login/mfa"), code=code_at(secret, clock())))
    assert reply.status == 400 and "expired" in reply.text and reply.form("/login")


def test_a_user_with_a_temporary_password_chooses_a_new_one(browser, local, pool, idp, admin):
    email = admin_created(admin, pool)
    request = authorization(pool)
    page = submit_password(browser, sign_in_page(browser, request), email, "temporary-pass-1")
    assert page.status == 200 and "Choose a new password" in page.text
    short = browser.post("/login/new-password", dict(page.form("/login/new-password"), password="short"))
    assert short.status == 400 and "Password not long enough" in short.text
    done = browser.post("/login/new-password", dict(short.form("/login/new-password"), password="my own password"))
    assert exchange(local, pool, request, code_from(done, request)).status == 200
    assert password_auth(idp, email, "my own password")["AuthenticationResult"]["AccessToken"]


# --- sign-up --------------------------------------------------------------------------------------


def test_sign_up_through_the_pages(browser, local, pool, idp):
    request = authorization(pool)
    login = sign_in_page(browser, request)
    link = re.search(r'href="(/signup\?[^"]+)"', login.text).group(1).replace("&amp;", "&")
    page = browser.get(link)
    assert page.status == 200 and "Sign up" in page.text
    email = new_email()
    taken = browser.post(
        "/signup", dict(page.form("/signup"), email=new_user(idp), password=PASSWORD, nickname="Taken")
    )
    assert taken.status == 400 and "already exists" in taken.text
    short = browser.post("/signup", dict(taken.form("/signup"), email=email, password="short"))
    assert short.status == 400 and "Password not long enough" in short.text

    confirm = browser.post("/signup", dict(short.form("/signup"), email=email, password=PASSWORD, nickname="Newcomer"))
    assert confirm.status == 200 and "We emailed a confirmation code to" in confirm.text
    form = confirm.form("/confirm")
    wrong = browser.post("/confirm", dict(form, code="000000" if CODE != "000000" else "111111"))
    assert wrong.status == 400 and "Invalid verification code" in wrong.text
    resent = browser.post("/confirm", dict(form, action="resend"))
    assert resent.status == 200 and "new code" in resent.text
    code = code_from(browser.post("/confirm", dict(form, code=f" {CODE[:3]} {CODE[3:]} ")), request)

    identity = jwt.decode(exchange(local, pool, request, code).json["id_token"], options={"verify_signature": False})
    assert identity["email"] == email and identity["email_verified"] is True
    assert identity["nickname"] == "Newcomer"
    assert password_auth(idp, email)["AuthenticationResult"]["AccessToken"]
    # The confirm step cannot be replayed to sign in again.
    assert browser.post("/confirm", dict(form, code=CODE)).status == 400


# --- the hosted-UI session and logout -------------------------------------------------------------


def test_the_session_skips_the_form_until_logout(browser, local, pool, idp):
    email = new_user(idp)
    request = authorization(pool)
    signed = submit_password(browser, sign_in_page(browser, request), email)
    code_from(signed, request)
    [cookie] = [c for c in signed.set_cookies() if c.startswith("cognito=")]
    attributes = [part.strip() for part in cookie.split(";")[1:]]
    assert sorted(attributes) == ["HttpOnly", "Max-Age=3600", "Path=/", "SameSite=Lax"]

    again = authorization(pool, nonce="second-nonce")
    code = code_from(browser.get("/oauth2/authorize", again.params), again)  # no form
    identity = jwt.decode(exchange(local, pool, again, code).json["id_token"], options={"verify_signature": False})
    assert identity["email"] == email and identity["nonce"] == "second-nonce"

    # Not for another browser, nor with a forged cookie.
    assert Browser(local.endpoint_url).get("/oauth2/authorize", again.params).location.startswith("/login?")
    forged = Browser(local.endpoint_url)
    forged.cookies["cognito"] = browser.cookies["cognito"][:-2] + "00"
    assert forged.get("/oauth2/authorize", again.params).location.startswith("/login?")

    # A sign-out URL that is not registered: an error page, and still signed in.
    for logout_uri in ("http://evil.example/", f"{APP}/elsewhere"):
        error_page(browser.get("/logout", {"client_id": pool.client_id, "logout_uri": logout_uri}))
    assert browser.get("/oauth2/authorize", again.params).location.startswith(CALLBACK)
    error_page(browser.get("/logout", {"client_id": "nope", "logout_uri": SIGNED_OUT}))

    stolen = browser.cookies["cognito"]
    out = browser.get("/logout", {"client_id": pool.client_id, "logout_uri": SIGNED_OUT})
    assert out.status == 302 and out.location == SIGNED_OUT
    [cleared] = [c for c in out.set_cookies() if c.startswith("cognito=")]
    assert cleared.startswith('cognito=""; expires=Thu, 01 Jan 1970 00:00:00 GMT;')
    assert "HttpOnly" in cleared and "Path=/" in cleared and "cognito" not in browser.cookies
    assert browser.get("/oauth2/authorize", again.params).location.startswith("/login?")
    # The session is over on the server too: its old cookie no longer works.
    browser.cookies["cognito"] = stolen
    assert browser.get("/oauth2/authorize", again.params).location.startswith("/login?")


def test_logout_back_to_the_sign_in_page(browser, pool, idp):
    request = authorization(pool)
    code_from(submit_password(browser, sign_in_page(browser, request), new_user(idp)), request)
    out = browser.get("/logout", dict(request.params, client_id=pool.client_id))
    assert out.status == 302 and out.location.startswith("/login?")
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(out.location).query))["state"] == request.state
    assert "cognito" not in browser.cookies
    assert browser.get(out.location).status == 200
    error_page(browser.get("/logout", {"client_id": pool.client_id}))


def test_a_session_lasts_an_hour_from_its_last_use_while_its_user_may_sign_in(browser, local, pool, idp, admin, clock):
    email = new_user(idp)
    request = authorization(pool)
    code_from(submit_password(browser, sign_in_page(browser, request), email), request)
    clock.advance(3000)
    reused = browser.get("/oauth2/authorize", request.params)
    assert reused.location.startswith(CALLBACK)
    assert any(c.startswith("cognito=") and "Max-Age=3600" in c for c in reused.set_cookies())
    clock.advance(3000)  # an hour and more since the sign-in, less since its last use
    code = code_from(browser.get("/oauth2/authorize", request.params), request)
    answer = exchange(local, pool, request, code).json
    # As at Cognito, a global sign-out ends the tokens but not the hosted-UI session.
    idp.global_sign_out(AccessToken=answer["access_token"])
    assert browser.get("/oauth2/authorize", request.params).location.startswith(CALLBACK)
    admin.admin_disable_user(UserPoolId=pool.pool_id, Username=email)
    assert browser.get("/oauth2/authorize", request.params).location.startswith("/login?")
    admin.admin_enable_user(UserPoolId=pool.pool_id, Username=email)
    assert browser.get("/oauth2/authorize", request.params).location.startswith(CALLBACK)
    clock.advance(3601)
    assert browser.get("/oauth2/authorize", request.params).location.startswith("/login?")


# --- the data folder ------------------------------------------------------------------------------


def test_the_signing_key_is_kept_private_in_the_data_folder(pool):
    path = os.path.join(pool.store.folder, "hosted-ui-secret")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="utf-8") as handle:
        assert len(handle.read().strip()) >= 40


def test_an_account_with_sms_or_email_codes_is_not_let_through_without_one(browser, pool, idp):
    """These pages ask only for authenticator codes: an account whose MFA is codes by email is told
    to sign in on the app's page, and gets no authorization code."""
    email = new_user(idp)
    token = password_auth(idp, email)["AuthenticationResult"]["AccessToken"]
    idp.set_user_mfa_preference(AccessToken=token, EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    reply = submit_password(browser, sign_in_page(browser, authorization(pool)), email)
    assert reply.status == 400 and reply.location is None
    assert "sign in on the app&#x27;s own page" in reply.text or "sign in on the app's own page" in reply.text
    assert "cognito" not in browser.cookies
