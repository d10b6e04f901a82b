"""The hosted UI's pages: plain server-rendered HTML, every value escaped, no scripts.

Each form posts back to the local Cognito with two hidden fields: ``flow``, the signed state of the
sign-in (``hosted_ui.py`` makes and checks it), and Tornado's ``_xsrf`` token.
"""

from __future__ import annotations

import urllib.parse
from typing import Iterable, Mapping

from tornado.escape import xhtml_escape

STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
main { max-width: 22rem; margin: 3rem auto; background: #fff; padding: 1.5rem 2rem;
       border-radius: .5rem; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
h1 { font-size: 1.3rem; } label { display: block; margin: .8rem 0 .2rem; }
input[type=email], input[type=password], input[type=text] { width: 100%; box-sizing: border-box;
       padding: .5rem; font-size: 1rem; }
button { margin-top: 1.2rem; width: 100%; padding: .6rem; font-size: 1rem; }
.error { color: #a4000f; } .note { color: #333; } footer { font-size: .8rem; color: #777; margin-top: 1.5rem; }
"""


def _e(value: object) -> str:
    return xhtml_escape(str(value))


def page(title: str, body: str) -> str:
    """A whole page; ``body`` is HTML the caller built from escaped values."""
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{STYLE}</style></head><body><main>"
            f"<h1>{_e(title)}</h1>{body}<footer>Local Cognito: a user pool on this computer.</footer>"
            f"</main></body></html>")


def _message(error: str | None = None, note: str | None = None) -> str:
    out = ""
    if error:
        out += f"<p class=\"error\" role=\"alert\">{_e(error)}</p>"
    if note:
        out += f"<p class=\"note\">{_e(note)}</p>"
    return out


def _form(action: str, xsrf: str, flow: str, fields: str, button: str) -> str:
    return (f"<form method=\"post\" action=\"{_e(action)}\">{xsrf}"
            f"<input type=\"hidden\" name=\"flow\" value=\"{_e(flow)}\">{fields}"
            f"<button type=\"submit\">{_e(button)}</button></form>")


def _input(label: str, name: str, kind: str, value: str = "", autocomplete: str = "",
           required: bool = True, extra: str = "") -> str:
    attributes = f" autocomplete=\"{_e(autocomplete)}\"" if autocomplete else ""
    attributes += " required" if required else ""
    return (f"<label for=\"{_e(name)}\">{_e(label)}</label>"
            f"<input id=\"{_e(name)}\" name=\"{_e(name)}\" type=\"{_e(kind)}\" value=\"{_e(value)}\""
            f"{attributes}{extra}>")


def _with_query(path: str, params: Mapping[str, str]) -> str:
    return f"{path}?{urllib.parse.urlencode(params)}"


def sign_in(*, xsrf: str, flow: str, request: Mapping[str, str], email: str = "",
            error: str | None = None, note: str | None = None) -> str:
    fields = (_input("Email", "email", "email", email, "username")
              + _input("Password", "password", "password", autocomplete="current-password"))
    link = (f"<p>Need an account? <a href=\"{_e(_with_query('/signup', request))}\">Sign up</a></p>")
    return page("Sign in", _message(error, note) + _form("/login", xsrf, flow, fields, "Sign in") + link)


# What a browser may fill an attribute's field with.
AUTOCOMPLETE = {"nickname": "nickname", "name": "name", "given_name": "given-name", "family_name": "family-name",
                "middle_name": "additional-name", "phone_number": "tel", "birthdate": "bday",
                "address": "street-address", "website": "url"}


def _attribute_inputs(names: Iterable[str], values: Mapping[str, str]) -> str:
    """A required field for each attribute the pool requires (``given_name``: "Given name")."""
    return "".join(_input(name.replace("_", " ").capitalize(), name, "text", values.get(name, ""),
                          AUTOCOMPLETE.get(name, "")) for name in names)


def sign_up(*, xsrf: str, flow: str, request: Mapping[str, str], email: str = "",
            values: Mapping[str, str] | None = None, required: Iterable[str] = (),
            error: str | None = None) -> str:
    """The sign-up form: email, password, the nickname (required if the pool requires it), and every
    other attribute the pool requires."""
    values, required = values or {}, list(required)
    fields = (_input("Email", "email", "email", email, "username")
              + _input("Password (8 characters or more)", "password", "password",
                       autocomplete="new-password")
              + _input("Nickname", "nickname", "text", values.get("nickname", ""), "nickname",
                       required="nickname" in required)
              + _attribute_inputs([name for name in required if name != "nickname"], values))
    link = f"<p>Have an account? <a href=\"{_e(_with_query('/login', request))}\">Sign in</a></p>"
    return page("Sign up", _message(error) + _form("/signup", xsrf, flow, fields, "Sign up") + link)


def confirm(*, xsrf: str, flow: str, error: str | None = None, note: str | None = None) -> str:
    code = _input("Confirmation code", "code", "text", autocomplete="one-time-code",
                  extra=" inputmode=\"numeric\"")
    resend = _form("/confirm", xsrf, flow, "<input type=\"hidden\" name=\"action\" value=\"resend\">",
                   "Send a new code")
    return page("Confirm your account",
                _message(error, note)
                + _form("/confirm", xsrf, flow, "<input type=\"hidden\" name=\"action\" value=\"confirm\">"
                        + code, "Confirm") + resend)


def mfa(*, xsrf: str, flow: str, error: str | None = None) -> str:
    code = _input("The 6-digit code from your authenticator app", "code", "text",
                  autocomplete="one-time-code", extra=" inputmode=\"numeric\" maxlength=\"7\"")
    return page("Enter your authenticator code", _message(error) + _form("/login/mfa", xsrf, flow, code, "Sign in"))


def new_password(*, xsrf: str, flow: str, attributes: Iterable[str] = (),
                 values: Mapping[str, str] | None = None, error: str | None = None) -> str:
    """The new password of a user an admin created, and the attributes the pool requires that the
    user has no value for yet."""
    attributes = list(attributes)
    fields = (_input("New password (8 characters or more)", "password", "password", autocomplete="new-password")
              + _attribute_inputs(attributes, values or {}))
    note = "Your account has a temporary password: choose your own to continue."
    if attributes:
        note = "Your account has a temporary password: choose your own, and tell us the rest, to continue."
    return page("Choose a new password",
                _message(error, note) + _form("/login/new-password", xsrf, flow, fields, "Set password and sign in"))


def error(message: str) -> str:
    return page("An error was encountered with the requested page", _message(message))
