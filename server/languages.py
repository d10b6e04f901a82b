"""The languages people read: English and French, chosen per request, and the error catalogue in French.

Which language a request gets (``choose``): the one the person picked on the page (the ``lang``
cookie, which the page's switch sets) if it is one of ours, else the best of its Accept-Language
header that we have, by q-value (RFC 9110 section 12.5.4: ``fr-CA;q=0.8`` is French at 0.8, ``q=0``
is "not this one", ``*`` is any), else English. ``JsonHandler.prepare`` sets it for the request
(``use``) and every ``ApiError`` then reads its sentence in it (``sentence``): the JSON keeps its
stable ``error`` code, only ``message`` changes.

``FRENCH`` is the catalogue of ``server/errors.py`` in French, code by code; a test checks that each
code of the catalogue has its French sentence here (and lists those that lack one). A handler's own
sentence (``ApiError(code, "...")``, naming a field or a value) is English only: in French the
code's catalogue sentence is given instead, and ``field`` still says which field it is about.

To add a language: a code in ``LANGUAGES``, a dictionary like ``FRENCH`` (``SENTENCES`` maps each
code to it), the local Cognito's pages (``local_cognito/page_languages.py``) and the page's strings
(``web/i18n.js``); the tests then list whatever is missing. docs/languages.md says the same.
"""

from __future__ import annotations

import contextvars
import re

LANGUAGES = ("en", "fr")  # the first is the default
DEFAULT_LANGUAGE = LANGUAGES[0]
LANGUAGE_COOKIE = "lang"  # set by the page's switch (web/i18n.js); not a secret, read by scripts
MAX_HEADER_LENGTH = 1024  # Accept-Language read no further: nobody needs more
_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT_LANGUAGE)


def from_accept_language(header: str | None) -> str | None:
    """The language of ours the header ranks highest (the first given among equals); None if none."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((header or "")[:MAX_HEADER_LENGTH].split(",")):
        match = _RANGE.match(part)
        if match is None:
            continue
        tag, q = match.group(1).lower(), float(match.group(2) or 1)
        language = DEFAULT_LANGUAGE if tag == "*" else tag.split("-")[0]
        if q <= 0 or language not in LANGUAGES:
            continue
        if best is None or q > best[0]:
            best = (q, position, language)
    return best[2] if best else None


def choose(accept_language: str | None, cookie: str | None = None) -> str:
    """The language of a request: the page's choice (cookie), else Accept-Language, else English."""
    if cookie in LANGUAGES:
        return cookie
    return from_accept_language(accept_language) or DEFAULT_LANGUAGE


def use(language: str) -> None:
    """The language of the request being served (each request runs in a context of its own)."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current() -> str:
    return _current.get()


def sentence(code: str, english: str, language: str | None = None) -> str:
    """What an error with ``code`` says in ``language`` (default: the request's), given what it
    says in English (the catalogue's sentence, or the handler's own)."""
    language = language or current()
    if language == DEFAULT_LANGUAGE:
        return english
    return SENTENCES[language].get(code) or english


# code -> the sentence in French, beside server/errors.py's English.
FRENCH: dict[str, str] = {
    "InvalidJson": "Le corps de la requête n'est pas du JSON valide.",
    "InvalidRequest": "Le corps de la requête doit être un objet JSON.",
    "MissingEnv": "Le corps de la requête doit avoir un champ « env » qui nomme la méthode, ou être une "
    "requête JSON-RPC 2.0.",
    "UnknownMethod": "Aucune méthode ne porte ce nom.",
    "MissingField": "Il manque un champ obligatoire.",
    "InvalidField": "Un champ n'a pas le bon type ou la bonne valeur.",
    "UnknownField": "La requête contient un champ que cette méthode ne prend pas.",
    "BodyTooLarge": "Le corps de la requête dépasse 64 Kio.",
    "MethodNotAllowed": "Envoyez la requête avec POST.",
    "NoSession": "Vous n'êtes pas connecté : il n'y a pas de cookie de session. Reconnectez-vous.",
    "SessionExpired": "Votre session a expiré ou a été fermée. Reconnectez-vous.",
    "MissingToken": "Cette méthode demande l'« access_token » d'un utilisateur connecté.",
    "InvalidToken": "Le jeton d'accès n'est pas valable pour ce groupe d'utilisateurs, ou a été révoqué. "
    "Reconnectez-vous.",
    "TokenExpired": "Le jeton d'accès a expiré. Appelez refresh pour en obtenir un nouveau.",
    "Forbidden": "Seuls les membres du groupe des administrateurs peuvent faire cela.",
    "ChallengeExpired": "Cette étape de connexion a expiré ou a déjà servi. Reconnectez-vous.",
    "MfaNotSetUp": "Configurez d'abord une application d'authentification : QR_init, puis QR_TOTP avec un "
    "code de l'application.",
    "PhoneNotVerified": "Ajoutez un numéro de téléphone et vérifiez-le avec le code reçu par SMS avant "
    "d'activer les codes par SMS.",
    "EmailNotVerified": "Vérifiez votre adresse e-mail avec le code qui y a été envoyé avant d'activer les codes "
    "par e-mail.",
    "MfaMethodUnavailable": "Le service de connexion ne propose pas ce type de code de connexion. Choisissez-en "
    "un autre.",
    "AttributeNotWritable": "Le service de connexion ne vous permet pas de modifier cela vous-même. Contactez le "
    "responsable de ce site.",
    "SignInWayNotEnabled": "Cette façon de se connecter n'est pas activée pour le groupe d'utilisateurs ou le "
    "client d'application de ce site.",
    "PasskeysNotEnabled": "Le groupe d'utilisateurs de ce site ne propose pas de clés d'accès (il lui faut l'offre "
    "Essentials, les clés d'accès parmi ses options de connexion, et un identifiant de "
    "partie de confiance).",
    "PasskeyWrongSite": "Cette clé d'accès a été créée pour un autre site web, ou pour une adresse que les clés "
    "d'accès de ce site ne couvrent pas.",
    "PasskeyRegistrationExpired": "Cet enregistrement de clé d'accès a expiré ou a été commencé ailleurs. "
    "Recommencez avec passkeyRegisterStart.",
    "PasskeyNotSupported": "Ce type de clé d'accès ou d'authentificateur n'est pas pris en charge ici.",
    "PasskeyRefused": "Cette clé d'accès n'est pas enregistrée pour ce compte ou n'a pas pu être vérifiée, ou la "
    "connexion a pris trop de temps. Recommencez, ou connectez-vous autrement.",
    "PasskeyNotFound": "Vous n'avez aucune clé d'accès avec cet identifiant.",
    "PasskeyLimit": "Ce compte a déjà le nombre maximal de clés d'accès. Supprimez-en une d'abord.",
    "DevicesNotEnabled": "Le groupe d'utilisateurs de ce site ne mémorise pas les appareils (il lui faut le suivi "
    "des appareils).",
    "DeviceNotFound": "Vous n'avez aucun appareil avec cette clé.",
    "InvalidCredential": "Le champ « credential » doit être le JSON de la réponse de navigator.credentials.",
    "NotAuthorized": "Nom d'utilisateur ou mot de passe incorrect.",
    "UserNotConfirmed": "Ce compte n'est pas encore confirmé. Saisissez le code reçu par e-mail, ou demandez-en "
    "un nouveau avec resendCode.",
    "PasswordResetRequired": "Ce compte a besoin d'un nouveau mot de passe. Utilisez forgotPassword pour "
    "recevoir un code de réinitialisation.",
    "UsernameExists": "Un compte existe déjà avec cette adresse e-mail.",
    "AliasExists": "Un autre compte utilise déjà cette adresse e-mail.",
    "CodeMismatch": "Le code est erroné. Vérifiez-le et réessayez.",
    "ExpiredCode": "Le code a expiré. Demandez-en un nouveau.",
    "InvalidPassword": "Le mot de passe ne respecte pas les règles du groupe d'utilisateurs.",
    "InvalidParameter": "Cognito n'a pas accepté l'une des valeurs envoyées.",
    "MissingAttribute": "Le groupe d'utilisateurs exige un attribut qui n'a pas été donné.",
    "PasswordReused": "Ce mot de passe a déjà servi récemment sur ce compte. Choisissez-en un que vous n'avez "
    "pas encore utilisé.",
    "RefusedByPoolRule": "Les règles propres au groupe d'utilisateurs ont refusé cette demande. Si cela vous "
    "semble une erreur, contactez le responsable de ce site.",
    "ConcurrentModification": "Une autre modification de ce compte était en cours au même moment. Réessayez.",
    "RequestBlocked": "Le pare-feu du service de connexion a bloqué cette demande. Réessayez plus tard, ou "
    "depuis un autre réseau.",
    "CodeNotDelivered": "Le code n'a pas pu être envoyé. Vérifiez l'adresse e-mail, puis redemandez un code "
    "dans un moment.",
    "EmailQuotaExceeded": "Le service de connexion a envoyé tous les e-mails permis pour aujourd'hui : aucun "
    "code ne peut être envoyé pour l'instant. Réessayez demain, ou contactez le "
    "responsable de ce site.",
    "HostedUiOff": "La connexion par l'interface hébergée n'est pas configurée sur ce serveur (il lui faut "
    "COGNITO_DOMAIN et BASE_URL).",
    "InvalidNext": "Après la connexion, « next » ne peut mener qu'à une page de ce site, comme /photos.",
    "InvalidProvider": "Le « provider » n'est pas un nom de fournisseur d'identité.",
    "SignInStateMismatch": "Cette connexion n'a pas commencé ici, ou a pris plus de 10 minutes. Recommencez "
    "depuis /login.",
    "SignInFailed": "La connexion n'a pas abouti. Recommencez depuis /login.",
    "UntrustedOrigin": "Une page d'une autre origine ne peut pas utiliser votre session. Envoyez plutôt le "
    "jeton d'accès.",
    "PhotoNotFound": "Vous n'avez aucune photo avec cet identifiant.",
    "NotAnImage": "Ce fichier n'est pas une image acceptée par ce site : envoyez une photo JPEG, PNG, GIF ou WebP.",
    "PhotoTooLarge": "La photo dépasse 5 Mio.",
    "StorageUnavailable": "Les photos ne peuvent pas être enregistrées ni lues pour le moment. Réessayez bientôt.",
    "UserNotFound": "Aucun utilisateur n'a cette adresse e-mail.",
    "GroupNotFound": "Aucun groupe ne porte ce nom.",
    "UserStateConflict": "L'état actuel de l'utilisateur ne le permet pas.",
    "AdminUnavailable": "Les identifiants AWS du serveur ne permettent pas les appels d'administration. Le "
    "responsable du serveur doit les corriger.",
    "TooManyRequests": "Trop de requêtes. Patientez un instant et réessayez.",
    "LimitExceeded": "Trop de tentatives. Patientez un moment et réessayez.",
    "RateLimited": "Trop de tentatives depuis cet endroit ou pour cet utilisateur. Patientez et réessayez.",
    "CognitoUnavailable": "Le service de connexion est injoignable. Réessayez bientôt.",
    "CognitoTimeout": "Le service de connexion a mis trop de temps à répondre. Réessayez.",
    "CognitoError": "Le service de connexion n'a pas su répondre à la demande. Réessayez.",
    "CognitoMisconfigured": "Le service de connexion n'est pas configuré correctement pour cette demande. Le "
    "responsable du serveur doit le corriger ; le journal du serveur dit pourquoi.",
    "NotSupported": "Le service de connexion n'est pas configuré pour cela (le client d'application du groupe "
    "d'utilisateurs l'a désactivé).",
    "LocalStorageUnavailable": "Le Cognito local ne peut pas enregistrer dans son dossier de données : rien n'a "
    "été modifié. Le responsable du serveur doit rendre ce dossier (LOCAL_COGNITO_DATA) "
    "accessible en écriture ; le journal du serveur dit pourquoi.",
    "Stopping": "Ce serveur est en train de s'arrêter. Réessayez : un autre vous répondra.",
    "InternalError": "Une erreur s'est produite de notre côté. Citez l'identifiant de la requête si vous la signalez.",
}

SENTENCES: dict[str, dict[str, str]] = {"fr": FRENCH}

# The words of the server's own HTML (the hosted-UI sign-in's error page), by their English.
PHRASES: dict[str, dict[str, str]] = {
    "fr": {
        "Sign-in problem": "Problème de connexion",
        "Sign in again": "Reconnectez-vous",
        "or": "ou",
        "go to the home page": "allez à la page d'accueil",
        "Error {code}, request {request_id}": "Erreur {code}, requête {request_id}",
    }
}


def phrase(english: str, language: str | None = None, **values: str) -> str:
    """One of ``PHRASES`` in ``language`` (default: the request's), its ``{names}`` filled in."""
    language = language or current()
    text = english if language == DEFAULT_LANGUAGE else PHRASES[language].get(english, english)
    return text.format(**values)
