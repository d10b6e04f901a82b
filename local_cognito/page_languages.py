"""The local Cognito's pages in English and French: which one a request gets, and the French of each sentence.

Cognito's managed login shows its pages in the language of the ``lang`` parameter of the authorize
request (developer guide, "Managed login localization"). So does the local hosted UI: ``lang``
(``en`` or ``fr``; the server's ``/login`` sends the person's) travels with the request from page to
page, in its links and forms; without it, the ``lang`` cookie the app's page sets (the same host on
another port sees it), else the browser's Accept-Language (q-values honoured), else English
(``server/languages.py`` chooses, as for the server's own answers).

The pages are written in English, each sentence given to ``_`` (``_("Sign in")``; with
``{names}`` filled in: ``_("We emailed a new code to {destination}.", destination=...)``), which gives
it in the page's language. Cognito's own error sentences shown on the pages (``CognitoFault``'s
message) go through ``translated``: those in ``FRENCH`` read in French, the rest stay as Cognito
words them. A test checks that every sentence the pages give ``_`` has its French here.
"""

from __future__ import annotations

import contextvars

from server.languages import DEFAULT_LANGUAGE, LANGUAGES

_current: contextvars.ContextVar[str] = contextvars.ContextVar("page_language", default=DEFAULT_LANGUAGE)


def use(language: str) -> None:
    """The language of the page being made (each request runs in a context of its own)."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current() -> str:
    return _current.get()


def _(english: str, **values: str) -> str:
    """``english`` in the page's language, its ``{names}`` filled in with ``values``."""
    text = english if current() == DEFAULT_LANGUAGE else FRENCH.get(english, english)
    return text.format(**values) if values else text


def translated(text: str) -> str:
    """A sentence that may be one of ``FRENCH`` (Cognito's own, from a fault), in the page's language."""
    return text if current() == DEFAULT_LANGUAGE else FRENCH.get(text, text)


# The English of the pages -> their French.
FRENCH: dict[str, str] = {
    # The pages' frame and fields.
    "Back to {name}": "Retour à {name}",
    "Local Cognito: a user pool on this computer.": "Cognito local : un groupe d'utilisateurs sur cet ordinateur.",
    "Email": "E-mail",
    "Password": "Mot de passe",
    "New password": "Nouveau mot de passe",
    "Nickname": "Surnom",
    "{count} characters or more.": "{count} caractères ou plus.",
    # Sign in, sign up, confirm.
    "Sign in": "Se connecter",
    "Forgot your password?": "Mot de passe oublié ?",
    "Need an account?": "Pas encore de compte ?",
    "Sign up": "S'inscrire",
    "Have an account?": "Déjà un compte ?",
    "Continue with {provider}": "Continuer avec {provider}",
    "Confirm your account": "Confirmez votre compte",
    "Confirmation code": "Code de confirmation",
    "Confirm": "Confirmer",
    "Send a new code": "Envoyer un nouveau code",
    "Enter your authenticator code": "Saisissez le code de votre application d'authentification",
    "The 6-digit code from your authenticator app": "Le code à 6 chiffres de votre application d'authentification",
    "Choose a new password": "Choisissez un nouveau mot de passe",
    "Your account has a temporary password: choose your own to continue.": "Votre compte a un mot de passe provisoire : choisissez le vôtre pour continuer.",
    "Your account has a temporary password: choose your own, and tell us the rest, to continue.": "Votre compte a un mot de passe provisoire : choisissez le vôtre et complétez le reste pour continuer.",
    "Set password and sign in": "Enregistrer le mot de passe et se connecter",
    "Reset your password": "Réinitialisez votre mot de passe",
    "We will email you a code to choose a new password.": "Nous vous enverrons par e-mail un code pour choisir un nouveau mot de passe.",
    "Email me a code": "M'envoyer un code",
    "Back to sign in": "Retour à la connexion",
    "Code from the email": "Code reçu par e-mail",
    "Set the new password": "Enregistrer le nouveau mot de passe",
    "If {email} has an account, we emailed it a code.": "Si {email} a un compte, nous lui avons envoyé un code.",
    "An error was encountered with the requested page": "Une erreur est survenue sur la page demandée",
    # What the handlers say.
    "This page has expired or was changed. Go back to the app and sign in again.": "Cette page a expiré ou a été modifiée. Revenez à l'application et reconnectez-vous.",
    "Something went wrong. Go back to the app and try again.": "Une erreur s'est produite. Revenez à l'application et réessayez.",
    "This account is not confirmed yet: enter the code we emailed, or ask for a new one.": "Ce compte n'est pas encore confirmé : saisissez le code reçu par e-mail, ou demandez-en un nouveau.",
    "We emailed a confirmation code to {destination}.": "Nous avons envoyé un code de confirmation à {destination}.",
    "We emailed a new code to {destination}.": "Nous avons envoyé un nouveau code à {destination}.",
    "Your password is changed. Sign in with the new one.": "Votre mot de passe est changé. Connectez-vous avec le nouveau.",
    "{message} Sign in again.": "{message} Reconnectez-vous.",
    "The sign-in service cannot save changes right now, so nothing was changed. Try again later.": "Le service de connexion ne peut pas enregistrer de modifications pour le moment : rien n'a été modifié. "
    "Réessayez plus tard.",
    "The identity provider did not confirm the sign-in. Go back to the app and try again.": "Le fournisseur d'identité n'a pas confirmé la connexion. Revenez à l'application et réessayez.",
    # The Login with Amazon stand-in's page (amazon_stand_in.py).
    "A stand-in on this computer: any name and email sign in.": "Une doublure de Login with Amazon, sur cet ordinateur : tout nom et toute adresse e-mail "
    "permettent de se connecter.",
    "Your name": "Votre nom",
    "Sign in and share your profile": "Se connecter et partager votre profil",
    "Cancel": "Annuler",
    "Enter a name and an email address.": "Saisissez un nom et une adresse e-mail.",
    "This client or return URL is not registered.": "Ce client ou cette adresse de retour n'est pas enregistré.",
    # The standard attributes a pool may require (their labels, translated, not given to _).
    "Name": "Nom complet",
    "Given name": "Prénom",
    "Family name": "Nom",
    "Middle name": "Deuxième prénom",
    "Preferred username": "Nom d'utilisateur préféré",
    "Phone number": "Numéro de téléphone",
    "Birthdate": "Date de naissance",
    "Address": "Adresse",
    "Website": "Site web",
    "Gender": "Genre",
    "Locale": "Langue et région",
    "Picture": "Photo",
    "Profile": "Page de profil",
    "Zoneinfo": "Fuseau horaire",
    "Updated at": "Mis à jour le",
    # Cognito's own sentences that reach the pages (translated, not given to _).
    "Login option is not available. Please try another one.": "Cette option de connexion n'est pas disponible. Essayez-en une autre.",
    "Incorrect username or password.": "Nom d'utilisateur ou mot de passe incorrect.",
    "User is disabled.": "L'utilisateur est désactivé.",
    "Password reset required for the user": "L'utilisateur doit réinitialiser son mot de passe.",
    "Invalid code received for user": "Le code reçu pour cet utilisateur est erroné.",
    "Invalid code provided, please request a code again.": "Le code fourni n'est pas valable, redemandez un code.",
    "Attempt limit exceeded, please try after some time.": "Trop de tentatives, réessayez dans un moment.",
    "An account with the given email already exists.": "Un compte existe déjà avec cette adresse e-mail.",
    "Invalid email address format.": "Le format de l'adresse e-mail n'est pas valable.",
    "Invalid session for the user.": "La session de cet utilisateur n'est pas valable.",
    "Invalid session for the user, session is expired.": "La session de cet utilisateur a expiré.",
    "Invalid session for the user, session can only be used once.": "La session de cet utilisateur ne peut servir qu'une fois.",
    "User cannot be confirmed.": "L'utilisateur ne peut pas être confirmé.",
    # The local Cognito's own refusal, for an account with codes by text message or email (oauth/hosted_sign_in.py).
    "This account signs in with a code sent by text message or email, which this sign-in page does not ask for: "
    "sign in on the app's own page.": "Ce compte se connecte avec un code envoyé par SMS ou par e-mail, que cette page de connexion ne demande "
    "pas : connectez-vous sur la page de l'application.",
}
