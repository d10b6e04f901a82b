"""The hosted UI's pages: plain server-rendered HTML, every value escaped, no scripts.

Each form posts back to the local Cognito with two hidden fields: ``flow``, the signed state of the
sign-in (``hosted_ui.py`` makes and checks it), and Tornado's ``_xsrf`` token. Each page function
answers a ``Page`` (its title and body), which ``render`` wraps in the app's look: its name and
icon (``Branding``, as Cognito's hosted UI shows an app client's logo and style), a "Back to" link
to the app, and the same colours and buttons as the app's own page.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import Iterable, Mapping, NamedTuple

from tornado.escape import xhtml_escape

from local_cognito.page_languages import DEFAULT_LANGUAGE, _, current, translated
from local_cognito.pool_settings import MIN_PASSWORD_LENGTH

# The app's colours (web/app.css); every text colour has a contrast of at least 4.5:1 on its background.
STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 1rem;
       line-height: 1.5; color: #1d1f23; background: #f3f4f7; overflow-wrap: anywhere; }
main { max-width: 25rem; margin: 2.5rem auto 0; background: #fff; padding: 1.5rem 1.5rem 1.25rem;
       border: 1px solid #c9ced6; border-radius: .6rem; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.brand { display: flex; align-items: center; gap: .5rem; margin: 0 0 1rem; font-size: 1.25rem; font-weight: 700; }
.brand .icon { flex: none; width: 1.75rem; height: 1.75rem; background: url(/favicon.svg) center / contain no-repeat; }
h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
label { display: block; margin: .8rem 0 .25rem; font-weight: 600; }
input[type=email], input[type=password], input[type=text] { display: block; width: 100%; padding: .55rem .6rem;
       font: inherit; color: inherit; background: #fff; border: 1px solid #8a909b; border-radius: .3rem; }
button { display: block; width: 100%; margin-top: 1.2rem; padding: .65rem 1rem; font: inherit; font-weight: 600;
         color: #fff; background: #1a56b0; border: 2px solid #1a56b0; border-radius: .3rem; cursor: pointer; }
button:hover { background: #123f82; border-color: #123f82; }
button.secondary { color: #1a56b0; background: #fff; margin-top: .6rem; }
button.secondary:hover { background: #e8eefb; }
a { color: #1a56b0; }
a:hover { color: #123f82; }
:focus-visible { outline: 3px solid #111317; outline-offset: 2px; }
input:focus-visible { outline-offset: 0; }
a.provider { display: block; margin-top: .6rem; padding: .6rem 1rem; text-align: center; font-weight: 600;
             text-decoration: none; color: #1d1f23; background: #fff; border: 2px solid #8a909b; border-radius: .3rem; }
a.provider:hover { background: #f3f4f7; color: #1d1f23; }
.aside { margin: .4rem 0 0; font-size: .95rem; }
.error { color: #b3261e; font-weight: 600; }
.note { color: #1e6b34; font-weight: 600; }
.hint { color: #555b66; font-size: .9rem; margin: .3rem 0 0; }
.links { margin: 1.25rem 0 0; padding-top: 1rem; border-top: 1px solid #c9ced6; }
.links p { margin: .3rem 0; }
footer { max-width: 25rem; margin: 1rem auto 2rem; padding: 0 1rem; font-size: .85rem; color: #555b66;
         text-align: center; }
@media (max-width: 30rem) { main { margin: 1rem .75rem 0; padding: 1.25rem 1rem 1rem; } }
"""

# The icon when the app has none: a key, in the app's colours.
DEFAULT_ICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" '
    b'fill="#1a56b0"/><circle cx="12" cy="16" r="5" fill="none" stroke="#fff" stroke-width="3"/>'
    b'<path d="M17 16h9v4M22 16v3" fill="none" stroke="#fff" stroke-width="3"/></svg>'
)


@dataclasses.dataclass(frozen=True)
class Branding:
    """What the pages show of the app: its name, its icon (SVG), and where "Back to" goes (None:
    the app client's first sign-out URL, its home page)."""

    name: str = "Local Cognito"
    icon: bytes = DEFAULT_ICON
    home: str | None = None


class Page(NamedTuple):
    title: str
    body: str  # HTML the page function built from escaped values


def _e(value: object) -> str:
    return xhtml_escape(str(value))


def render(page: Page, branding: Branding, home: str | None) -> str:
    """A whole page: the app's name and icon, the page, the way back to the app."""
    back = f'<p><a href="{_e(home)}">{_e(_("Back to {name}", name=branding.name))}</a></p>' if home else ""
    return (
        f'<!doctype html><html lang="{current()}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(page.title)} · {_e(branding.name)}</title>"
        f'<link rel="icon" href="/favicon.svg" type="image/svg+xml"><style>{STYLE}</style></head><body>'
        f'<main><p class="brand"><span class="icon"></span>{_e(branding.name)}</p>'
        f"<h1>{_e(page.title)}</h1>{page.body}"
        + (f'<div class="links">{back}</div>' if back else "")
        + f"</main><footer>{_e(_('Local Cognito: a user pool on this computer.'))}</footer></body></html>"
    )


def _message(error: str | None = None, note: str | None = None) -> str:
    out = ""
    if error:
        out += f'<p class="error" role="alert">{_e(translated(error))}</p>'
    if note:
        out += f'<p class="note" role="status">{_e(translated(note))}</p>'
    return out


def _form(action: str, xsrf: str, flow: str, fields: str, button: str, kind: str = "") -> str:
    css = f' class="{_e(kind)}"' if kind else ""
    # The page's language goes with the form, as it goes with the links (``_with_query``).
    lang = "" if current() == DEFAULT_LANGUAGE else f'<input type="hidden" name="lang" value="{current()}">'
    return (
        f'<form method="post" action="{_e(action)}">{xsrf}'
        f'<input type="hidden" name="flow" value="{_e(flow)}">{lang}{fields}'
        f'<button type="submit"{css}>{_e(button)}</button></form>'
    )


def _input(
    label: str, name: str, kind: str, value: str = "", autocomplete: str = "", required: bool = True, extra: str = ""
) -> str:
    attributes = f' autocomplete="{_e(autocomplete)}"' if autocomplete else ""
    attributes += " required" if required else ""
    return (
        f'<label for="{_e(name)}">{_e(label)}</label>'
        f'<input id="{_e(name)}" name="{_e(name)}" type="{_e(kind)}" value="{_e(value)}"'
        f"{attributes}{extra}>"
    )


def _new_password(label: str) -> str:
    """A new password's field, with the pool's rule under it."""
    return (
        _input(label, "password", "password", autocomplete="new-password", extra=' aria-describedby="password-rule"')
        + f'<p class="hint" id="password-rule">'
        f"{_e(_('{count} characters or more.', count=str(MIN_PASSWORD_LENGTH)))}</p>"
    )


def _with_query(path: str, params: Mapping[str, str]) -> str:
    """A link of the hosted UI, with the authorize request and the page's language (``lang``)."""
    if current() != DEFAULT_LANGUAGE:
        params = dict(params, lang=current())
    return f"{path}?{urllib.parse.urlencode(params)}"


def sign_in(
    *,
    xsrf: str,
    flow: str,
    request: Mapping[str, str],
    email: str = "",
    error: str | None = None,
    note: str | None = None,
    providers: Iterable[str] = (),
) -> Page:
    """The sign-in form, then a way to each identity provider the app client offers besides the
    pool's own users (Cognito's "Continue with ..." buttons)."""
    fields = (
        _input(_("Email"), "email", "email", email, "username")
        + _input(_("Password"), "password", "password", autocomplete="current-password")
        + f'<p class="aside"><a href="{_e(_with_query("/forgotPassword", request))}">'
        f"{_e(_('Forgot your password?'))}</a></p>"
    )
    link = f'<p>{_e(_("Need an account?"))} <a href="{_e(_with_query("/signup", request))}">{_e(_("Sign up"))}</a></p>'
    others = "".join(_provider_link(request, name) for name in providers)
    return Page(_("Sign in"), _message(error, note) + _form("/login", xsrf, flow, fields, _("Sign in")) + others + link)


PROVIDER_LABELS = {"LoginWithAmazon": "Login with Amazon"}


def _provider_link(request: Mapping[str, str], name: str) -> str:
    """Cognito's "Continue with ..." button: the authorize request, straight to that provider."""
    target = _with_query("/oauth2/authorize", dict(request, identity_provider=name))
    label = _("Continue with {provider}", provider=PROVIDER_LABELS.get(name, name))
    return f'<p><a class="provider" href="{_e(target)}">{_e(label)}</a></p>'


# What a browser may fill an attribute's field with.
AUTOCOMPLETE = {
    "nickname": "nickname",
    "name": "name",
    "given_name": "given-name",
    "family_name": "family-name",
    "middle_name": "additional-name",
    "phone_number": "tel",
    "birthdate": "bday",
    "address": "street-address",
    "website": "url",
}


def _attribute_inputs(names: Iterable[str], values: Mapping[str, str]) -> str:
    """A required field for each attribute the pool requires (``given_name``: "Given name")."""
    return "".join(
        _input(
            translated(name.replace("_", " ").capitalize()),
            name,
            "text",
            values.get(name, ""),
            AUTOCOMPLETE.get(name, ""),
        )
        for name in names
    )


def sign_up(
    *,
    xsrf: str,
    flow: str,
    request: Mapping[str, str],
    email: str = "",
    values: Mapping[str, str] | None = None,
    required: Iterable[str] = (),
    error: str | None = None,
) -> Page:
    """The sign-up form: email, password, the nickname (required if the pool requires it), and every
    other attribute the pool requires."""
    values, required = values or {}, list(required)
    fields = (
        _input(_("Email"), "email", "email", email, "username")
        + _new_password(_("Password"))
        + _input(
            _("Nickname"), "nickname", "text", values.get("nickname", ""), "nickname", required="nickname" in required
        )
        + _attribute_inputs([name for name in required if name != "nickname"], values)
    )
    link = f'<p>{_e(_("Have an account?"))} <a href="{_e(_with_query("/login", request))}">{_e(_("Sign in"))}</a></p>'
    return Page(_("Sign up"), _message(error) + _form("/signup", xsrf, flow, fields, _("Sign up")) + link)


def confirm(*, xsrf: str, flow: str, error: str | None = None, note: str | None = None) -> Page:
    code = _input(_("Confirmation code"), "code", "text", autocomplete="one-time-code", extra=' inputmode="numeric"')
    resend = _form(
        "/confirm", xsrf, flow, '<input type="hidden" name="action" value="resend">', _("Send a new code"), "secondary"
    )
    return Page(
        _("Confirm your account"),
        _message(error, note)
        + _form("/confirm", xsrf, flow, '<input type="hidden" name="action" value="confirm">' + code, _("Confirm"))
        + resend,
    )


def mfa(*, xsrf: str, flow: str, error: str | None = None) -> Page:
    code = _input(
        _("The 6-digit code from your authenticator app"),
        "code",
        "text",
        autocomplete="one-time-code",
        extra=' inputmode="numeric" maxlength="7"',
    )
    return Page(
        _("Enter your authenticator code"), _message(error) + _form("/login/mfa", xsrf, flow, code, _("Sign in"))
    )


def new_password(
    *,
    xsrf: str,
    flow: str,
    attributes: Iterable[str] = (),
    values: Mapping[str, str] | None = None,
    error: str | None = None,
) -> Page:
    """The new password of a user an admin created, and the attributes the pool requires that the
    user has no value for yet."""
    attributes = list(attributes)
    fields = _new_password(_("New password")) + _attribute_inputs(attributes, values or {})
    note = _("Your account has a temporary password: choose your own to continue.")
    if attributes:
        note = _("Your account has a temporary password: choose your own, and tell us the rest, to continue.")
    return Page(
        _("Choose a new password"),
        _message(error)
        + f"<p>{_e(note)}</p>"
        + _form("/login/new-password", xsrf, flow, fields, _("Set password and sign in")),
    )


def forgot_password(
    *, xsrf: str, flow: str, request: Mapping[str, str], email: str = "", error: str | None = None
) -> Page:
    """Cognito's /forgotPassword: the email, to send a reset code to."""
    fields = _input(_("Email"), "email", "email", email, "username")
    back = f'<p><a href="{_e(_with_query("/login", request))}">{_e(_("Back to sign in"))}</a></p>'
    return Page(
        _("Reset your password"),
        _message(error)
        + f"<p>{_e(_('We will email you a code to choose a new password.'))}</p>"
        + _form("/forgotPassword", xsrf, flow, fields, _("Email me a code"))
        + back,
    )


def confirm_forgot_password(
    *, xsrf: str, flow: str, request: Mapping[str, str], email: str, error: str | None = None, note: str | None = None
) -> Page:
    """Cognito's /confirmforgotPassword: the emailed code and the new password."""
    fields = _input(
        _("Code from the email"), "code", "text", autocomplete="one-time-code", extra=' inputmode="numeric"'
    ) + _new_password(_("New password"))
    back = f'<p><a href="{_e(_with_query("/login", request))}">{_e(_("Back to sign in"))}</a></p>'
    return Page(
        _("Choose a new password"),
        _message(error, note)
        + f"<p>{_e(_('If {email} has an account, we emailed it a code.', email=email))}</p>"
        + _form("/confirmforgotPassword", xsrf, flow, fields, _("Set the new password"))
        + back,
    )


def error(message: str) -> Page:
    return Page(_("An error was encountered with the requested page"), _message(message))
