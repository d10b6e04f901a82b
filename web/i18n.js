// The page in English or French. The page is written in English; in French, every text it shows
// (in index.html, or set later by the other modules with textContent) and every aria-label, alt,
// title and placeholder is replaced by its French from FRENCH below, as it reaches the document (a
// MutationObserver), so no other module needs to know about languages. A sentence with parts that
// vary is written with {names} ("Signed in as {name} ({email})"): the parts are kept as they are.
// Text inside an element with translate="no" (what people wrote: photo descriptions) is left alone.
//
// The language: the person's choice on the page (the switch in the header), kept in the "lang"
// cookie, which also tells the server (its error sentences, server/languages.py) and the hosted UI
// (/login sends lang); without a choice, the browser's languages in its order of preference (what
// its Accept-Language says, q-values and all), else English.
//
// To add a language: a dictionary like FRENCH, its code in LANGUAGES and an <option> in the switch
// (index.html), and the same on the server's side; tests/test_languages.py lists what is missing.

export const LANGUAGES = ["en", "fr"];
const COOKIE = "lang";
const ATTRIBUTES = ["aria-label", "alt", "title", "placeholder"];

// BEGIN FRENCH (JSON: one "English": "French" pair a line; tests/test_languages.py reads it)
const FRENCH = {
  "Photos": "Photos",
  "Language": "Langue",
  "Checking whether you are signed in…": "Vérification de votre connexion…",
  "Sign in or sign up": "Se connecter ou s'inscrire",
  "Sign in": "Se connecter",
  "Sign up": "S'inscrire",
  "Email": "E-mail",
  "Password": "Mot de passe",
  "Show password": "Afficher le mot de passe",
  "Show": "Afficher",
  "Forgot your password?": "Mot de passe oublié ?",
  "Enter your authenticator code": "Saisissez le code de votre application d'authentification",
  "Open your authenticator app and type the 6-digit code it shows for this site.": "Ouvrez votre application d'authentification et saisissez le code à 6 chiffres qu'elle affiche pour ce site.",
  "Authenticator code": "Code d'authentification",
  "Cancel": "Annuler",
  "Reset your password": "Réinitialisez votre mot de passe",
  "We will email you a code to choose a new password.": "Nous vous enverrons par e-mail un code pour choisir un nouveau mot de passe.",
  "Email me a code": "M'envoyer un code",
  "Back to sign in": "Retour à la connexion",
  "Choose a new password": "Choisissez un nouveau mot de passe",
  "Code from the email": "Code reçu par e-mail",
  "New password": "Nouveau mot de passe",
  "Password rules": "Règles du mot de passe",
  "Set the new password": "Enregistrer le nouveau mot de passe",
  "Send a new code": "Envoyer un nouveau code",
  "More sign-in options": "Autres façons de se connecter",
  "Nickname": "Surnom",
  "Confirm your email": "Confirmez votre adresse e-mail",
  "Confirmation code": "Code de confirmation",
  "Confirm and sign in": "Confirmer et se connecter",
  "Use another email": "Utiliser une autre adresse",
  "Your pages": "Vos pages",
  "My photos": "Mes photos",
  "Account settings": "Paramètres du compte",
  "Sign out": "Se déconnecter",
  "Add a photo": "Ajouter une photo",
  "Photo": "Photo",
  "(JPEG, PNG, GIF or WebP, 5 MB or less)": "(JPEG, PNG, GIF ou WebP, 5 Mo au plus)",
  "Description": "Description",
  "(optional, up to 500 characters)": "(facultative, 500 caractères au plus)",
  "Uploading:": "Envoi :",
  "Upload": "Envoyer",
  "You have no photos yet.": "Vous n'avez pas encore de photos.",
  "Change your password": "Changez votre mot de passe",
  "Current password": "Mot de passe actuel",
  "Change password": "Changer le mot de passe",
  "Authenticator app": "Application d'authentification",
  "With an authenticator app, signing in also asks for a code from your phone.": "Avec une application d'authentification, la connexion demande aussi un code affiché sur votre téléphone.",
  "Set up an authenticator app": "Configurer une application d'authentification",
  "Turn off authenticator codes": "Désactiver les codes d'authentification",
  "Scan this QR code with your authenticator app, or type the key below into it.": "Scannez ce code QR avec votre application d'authentification, ou saisissez-y la clé ci-dessous.",
  "QR code to add this account to your authenticator app": "Code QR pour ajouter ce compte à votre application d'authentification",
  "Key:": "Clé :",
  "Copy the key": "Copier la clé",
  "(6 digits from the app)": "(les 6 chiffres affichés par l'application)",
  "Turn on authenticator codes": "Activer les codes d'authentification",
  "Delete your account": "Supprimer votre compte",
  "This removes your account and your photos. You cannot undo it.": "Votre compte et vos photos seront supprimés, sans retour possible.",
  "Delete my account…": "Supprimer mon compte…",
  "Delete your account for good?": "Supprimer définitivement votre compte ?",
  "Yes, delete my account": "Oui, supprimer mon compte",
  "Keep my account": "Garder mon compte",
  "Close": "Fermer",
  "Delete this photo?": "Supprimer cette photo ?",
  "Delete": "Supprimer",
  "Keep it": "La garder",
  "Signing out…": "Déconnexion…",
  "Changing…": "Modification…",
  "Your password is changed, and every other session is signed out.": "Votre mot de passe est changé, et toutes vos autres sessions sont fermées.",
  "Your password is changed, and every session is signed out. Enter the code from your authenticator app to stay signed in.": "Votre mot de passe est changé, et toutes vos sessions sont fermées. Saisissez le code de votre application d'authentification pour rester connecté.",
  "Your password is changed, but your other sessions could not be signed out.{why}": "Votre mot de passe est changé, mais vos autres sessions n'ont pas pu être fermées.{why}",
  "Your password is changed, and every session is signed out. Sign in with your new password.": "Votre mot de passe est changé, et toutes vos sessions sont fermées. Connectez-vous avec le nouveau.",
  "Authenticator codes are on.": "Les codes d'authentification sont activés.",
  "Authenticator codes are off.": "Les codes d'authentification sont désactivés.",
  "The key is copied. Paste it into your authenticator app.": "La clé est copiée. Collez-la dans votre application d'authentification.",
  "This browser did not let the page copy the key. Select it and copy it yourself.": "Ce navigateur n'a pas laissé la page copier la clé. Sélectionnez-la et copiez-la vous-même.",
  "We could not read your email address, which the authenticator app needs. Reload the page and try again.": "Impossible de lire votre adresse e-mail, dont l'application d'authentification a besoin. Rechargez la page et réessayez.",
  "Preparing…": "Préparation…",
  "Authenticator codes are on. Signing in will ask for a code from your app.": "Les codes d'authentification sont activés. La connexion demandera un code de votre application.",
  "Checking…": "Vérification…",
  "Authenticator codes are off. Signing in needs only your password.": "Les codes d'authentification sont désactivés. La connexion ne demande plus que votre mot de passe.",
  "Turning off…": "Désactivation…",
  "Deleting…": "Suppression…",
  "Your account is deleted.": "Votre compte est supprimé.",
  "We could not reach the server. Check your connection and try again.": "Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.",
  "Your session has ended. Please sign in again.": "Votre session a pris fin. Reconnectez-vous.",
  "Too many wrong codes. Ask for a new code.": "Trop de codes erronés. Demandez un nouveau code.",
  "That code is wrong or has expired. Check it, or ask for a new code.": "Ce code est erroné ou a expiré. Vérifiez-le, ou demandez un nouveau code.",
  "The email or password is wrong.": "L'adresse e-mail ou le mot de passe est erroné.",
  "This account is not confirmed yet. Enter the code we emailed you.": "Ce compte n'est pas encore confirmé. Saisissez le code que nous vous avons envoyé par e-mail.",
  "This account needs a new password. Use “Forgot your password?” to get a reset code.": "Ce compte a besoin d'un nouveau mot de passe. Utilisez « Mot de passe oublié ? » pour recevoir un code de réinitialisation.",
  "An account with this email already exists. Sign in instead.": "Un compte existe déjà avec cette adresse e-mail. Connectez-vous plutôt.",
  "That code is wrong. Check it and try again.": "Ce code est erroné. Vérifiez-le et réessayez.",
  "That code has expired. Ask for a new one.": "Ce code a expiré. Demandez-en un nouveau.",
  "This sign-in step has expired. Please sign in again.": "Cette étape de connexion a expiré. Reconnectez-vous.",
  "Set up an authenticator app first.": "Configurez d'abord une application d'authentification.",
  "That file is not a picture we can read. Choose a JPEG, PNG, GIF or WebP image.": "Ce fichier n'est pas une image lisible. Choisissez une image JPEG, PNG, GIF ou WebP.",
  "That photo is larger than 5 MB. Choose a smaller one.": "Cette photo dépasse 5 Mo. Choisissez-en une plus petite.",
  "That photo no longer exists.": "Cette photo n'existe plus.",
  "Your current password is wrong.": "Votre mot de passe actuel est erroné.",
  "This account is confirmed already, or the password is wrong. Try signing in.": "Ce compte est déjà confirmé, ou le mot de passe est erroné. Essayez de vous connecter.",
  "{sentence} If your account is confirmed already, sign in.": "{sentence} Si votre compte est déjà confirmé, connectez-vous.",
  "The password of this account cannot be reset.": "Le mot de passe de ce compte ne peut pas être réinitialisé.",
  "Too many wrong codes. Sign in again and type the newest code from your app.": "Trop de codes erronés. Reconnectez-vous et saisissez le code le plus récent de votre application.",
  "That is too large to send.": "C'est trop volumineux pour être envoyé.",
  "Too many attempts. Wait a moment and try again.": "Trop de tentatives. Patientez un instant et réessayez.",
  "Something went wrong. Please try again.": "Une erreur s'est produite. Réessayez.",
  "Something went wrong on this page. Please reload it and try again.": "Une erreur s'est produite sur cette page. Rechargez-la et réessayez.",
  "We could not check whether you are signed in. {why}": "Impossible de vérifier si vous êtes connecté. {why}",
  "Photo added {when}": "Photo ajoutée le {when}",
  "Open {name}": "Ouvrir {name}",
  "Delete {name}": "Supprimer {name}",
  "This photo could not be loaded.": "Cette photo n'a pas pu être chargée.",
  "“{name}” will be gone for good.": "« {name} » sera supprimée définitivement.",
  "The photo is deleted.": "La photo est supprimée.",
  "Loading the photo…": "Chargement de la photo…",
  "Click log in/sign up to access this site": "Connectez-vous ou inscrivez-vous pour accéder à ce site",
  "Click my photos to access your photos": "Cliquez sur Mes photos pour accéder à vos photos",
  "Someone signed in with another account in this browser, so this page now shows that account.": "Quelqu'un s'est connecté avec un autre compte dans ce navigateur : cette page affiche maintenant ce compte.",
  "Hello, {name}!": "Bonjour, {name} !",
  "Hello!": "Bonjour !",
  "Signed in": "Connecté",
  "Signed in as {name} ({email})": "Connecté en tant que {name} ({email})",
  "Signed in as {name}": "Connecté en tant que {name}",
  "This account needs a step this page cannot do. Use “More sign-in options” instead.": "Ce compte demande une étape que cette page ne sait pas faire. Utilisez plutôt « Autres façons de se connecter ».",
  "This account is not confirmed yet. Enter the code we emailed to": "Ce compte n'est pas encore confirmé. Saisissez le code envoyé à",
  "Signing in…": "Connexion…",
  "We emailed a confirmation code to": "Nous avons envoyé un code de confirmation à",
  "Signing up…": "Inscription…",
  "Please fill in “{name}”.": "Veuillez remplir « {name} ».",
  "This site also needs “{name}” to create an account, which this form does not ask for. Please tell whoever runs this site.": "Ce site demande aussi « {name} » pour créer un compte, ce que ce formulaire ne demande pas. Prévenez le responsable de ce site.",
  "Confirming…": "Confirmation…",
  "A new code is on its way.": "Un nouveau code est en route.",
  "Sending…": "Envoi…",
  "If {email} has an account, we emailed it a code.": "Si {email} a un compte, nous lui avons envoyé un code.",
  "Your password is changed. Sign in with the new one.": "Votre mot de passe est changé. Connectez-vous avec le nouveau.",
  "Saving…": "Enregistrement…",
  "Please check “{name}”.": "Veuillez vérifier « {name} ».",
  "Please enter a valid email address.": "Veuillez saisir une adresse e-mail valable.",
  "“{name}” needs at least {count} characters.": "« {name} » demande au moins {count} caractères.",
  "The authenticator code is the 6 digits your app shows. Please check it.": "Le code d'authentification est fait des 6 chiffres affichés par votre application. Vérifiez-le.",
  "Preview of {name}": "Aperçu de {name}",
  "{size} MB": "{size} Mo",
  "{size} KB": "{size} Ko",
  "Your photo is uploaded.": "Votre photo est envoyée.",
  "Uploading…": "Envoi…",
  "{count} characters or more": "{count} caractères ou plus",
  "a lowercase letter": "une minuscule",
  "an uppercase letter": "une majuscule",
  "a number": "un chiffre",
  "a special character, such as ! or %": "un caractère spécial, comme ! ou %",
  "done:": "fait :",
  "not yet:": "pas encore :",
  "Sign in without a password": "Se connecter sans mot de passe",
  "Email me a sign-in code": "M'envoyer un code de connexion",
  "Sign in with a passkey": "Se connecter avec une clé d'accès",
  "Enter your sign-in code": "Saisissez votre code de connexion",
  "Enter your email first.": "Saisissez d'abord votre adresse e-mail.",
  "If {email} has an account, we emailed a code to {where}.": "Si {email} a un compte, nous avons envoyé un code à {where}.",
  "This code can no longer be used. Ask for a new one.": "Ce code ne peut plus servir. Demandez-en un nouveau.",
  "This browser cannot use passkeys.": "Ce navigateur ne peut pas utiliser de clés d'accès.",
  "Waiting for your passkey…": "En attente de votre clé d'accès…",
  "The passkey request was cancelled or timed out. Try again when you are ready.": "La demande de clé d'accès a été annulée ou a expiré. Réessayez quand vous serez prêt.",
  "This device already has a passkey for your account.": "Cet appareil a déjà une clé d'accès pour votre compte.",
  "Your browser could not use a passkey here.": "Votre navigateur n'a pas pu utiliser de clé d'accès ici.",
  "That passkey did not sign you in. Try another passkey, or sign in another way.": "Cette clé d'accès ne vous a pas connecté. Essayez-en une autre, ou connectez-vous autrement.",
  "This site does not offer passkeys yet.": "Ce site ne propose pas encore de clés d'accès.",
  "That passkey is for another website.": "Cette clé d'accès appartient à un autre site web.",
  "This site does not offer that way of signing in.": "Ce site ne propose pas cette façon de se connecter.",
  "Enter the code we texted you": "Saisissez le code reçu par SMS",
  "Enter the code we emailed you": "Saisissez le code reçu par e-mail",
  "We sent a 6-digit code by text message to {where}.": "Nous avons envoyé un code à 6 chiffres par SMS au {where}.",
  "We sent you a 6-digit code by text message.": "Nous vous avons envoyé un code à 6 chiffres par SMS.",
  "We sent a 6-digit code by email to {where}.": "Nous avons envoyé un code à 6 chiffres par e-mail à {where}.",
  "We sent you a 6-digit code by email.": "Nous vous avons envoyé un code à 6 chiffres par e-mail.",
  "Code from the text message": "Code reçu par SMS",
  "The code is the 6 digits we sent you. Please check it.": "Le code est fait des 6 chiffres que nous vous avons envoyés. Vérifiez-le.",
  "How should we check it is you?": "Comment vérifier que c'est bien vous ?",
  "Your account has more than one way to get a sign-in code. Choose one:": "Votre compte peut recevoir un code de connexion de plusieurs façons. Choisissez-en une :",
  "A code by text message": "Un code par SMS",
  "A code by email": "Un code par e-mail",
  "A code from my authenticator app": "Un code de mon application d'authentification",
  "Continue": "Continuer",
  "Please choose how to get your code.": "Veuillez choisir comment recevoir votre code.",
  "Your password is changed, and every session is signed out. Enter your sign-in code to stay signed in.": "Votre mot de passe est changé, et toutes vos sessions sont fermées. Saisissez votre code de connexion pour rester connecté.",
  "You sign in with": "Vous vous connectez avec",
  "Change email": "Changer d'adresse e-mail",
  "New email": "Nouvelle adresse e-mail",
  "Send a code to it": "Y envoyer un code",
  "We sent a code to": "Nous avons envoyé un code à",
  ". Until you enter it, you keep signing in with your current email.": ". Tant que vous ne l'avez pas saisi, vous continuez à vous connecter avec votre adresse e-mail actuelle.",
  "Code": "Code",
  "(from the email)": "(reçu par e-mail)",
  "Confirm the new email": "Confirmer la nouvelle adresse",
  "Your email is changed.": "Votre adresse e-mail est changée.",
  "Your email is now {email}. Sign in with it from now on.": "Votre adresse e-mail est maintenant {email}. Connectez-vous désormais avec celle-ci.",
  "We sent a new code.": "Nous avons envoyé un nouveau code.",
  "Your email is unchanged. A code you already got stays good for a day.": "Votre adresse e-mail n'a pas changé. Un code déjà reçu reste valable un jour.",
  "Another account already uses this email.": "Un autre compte utilise déjà cette adresse e-mail.",
  "Codes by text message or email": "Codes par SMS ou par e-mail",
  "Signing in can also send you a code by text message or by email.": "La connexion peut aussi vous envoyer un code par SMS ou par e-mail.",
  "Text-message codes are on.": "Les codes par SMS sont activés.",
  "Text-message codes are off.": "Les codes par SMS sont désactivés.",
  "Email codes are on.": "Les codes par e-mail sont activés.",
  "Email codes are off.": "Les codes par e-mail sont désactivés.",
  "Text messages go to {phone}.": "Les SMS sont envoyés au {phone}.",
  "Mobile number": "Numéro de mobile",
  "(with its country code, like +15550100123)": "(avec l'indicatif du pays, comme +15550100123)",
  "Text a code to this number": "Envoyer un code par SMS à ce numéro",
  "We texted a code to": "Nous avons envoyé un code par SMS au",
  "(from the text message)": "(reçu par SMS)",
  "Verify the number": "Vérifier le numéro",
  "When more than one kind of code is on, ask me which one each time I sign in": "Quand plusieurs types de code sont activés, me demander lequel à chaque connexion",
  "Turn on text-message codes": "Activer les codes par SMS",
  "Turn off text-message codes": "Désactiver les codes par SMS",
  "Turn on email codes": "Activer les codes par e-mail",
  "Turn off email codes": "Désactiver les codes par e-mail",
  "This site does not send text messages, so it cannot verify the number.": "Ce site n'envoie pas de SMS : il ne peut donc pas vérifier le numéro.",
  "Your number is verified. You can turn on text-message codes.": "Votre numéro est vérifié. Vous pouvez activer les codes par SMS.",
  "Turning on…": "Activation…",
  "Text-message codes are on. Signing in will text you a code.": "Les codes par SMS sont activés. La connexion vous enverra un code par SMS.",
  "Email codes are on. Signing in will email you a code.": "Les codes par e-mail sont activés. La connexion vous enverra un code par e-mail.",
  "Signing in will ask which kind of code to send.": "La connexion demandera quel type de code envoyer.",
  "Signing in will use one kind of code.": "La connexion utilisera un seul type de code.",
  "Passkeys": "Clés d'accès",
  "A passkey signs you in with your fingerprint, face, screen lock or security key, without a password.": "Une clé d'accès vous connecte avec votre empreinte digitale, votre visage, le verrouillage de votre écran ou une clé de sécurité, sans mot de passe.",
  "You have no passkeys yet.": "Vous n'avez pas encore de clés d'accès.",
  "Add a passkey": "Ajouter une clé d'accès",
  "Passkey {number}": "Clé d'accès {number}",
  "{name}, added {when}": "{name}, ajoutée le {when}",
  "Your passkeys could not be listed: your session may have ended.": "Impossible d'afficher vos clés d'accès : votre session a peut-être pris fin.",
  "The passkey is deleted.": "La clé d'accès est supprimée.",
  "This browser cannot make passkeys.": "Ce navigateur ne peut pas créer de clés d'accès.",
  "The passkey is added. You can sign in with it now.": "La clé d'accès est ajoutée. Vous pouvez maintenant vous connecter avec elle.",
  "Remember this browser": "Se souvenir de ce navigateur",
  "Next time you sign in here, no code is asked. Leave it off on a shared computer.": "La prochaine fois que vous vous connecterez ici, aucun code ne sera demandé. Laissez cette case décochée sur un ordinateur partagé.",
  "Devices": "Appareils",
  "Browsers you chose to remember sign in without a code.": "Les navigateurs que vous avez choisi de mémoriser se connectent sans code.",
  "No browser is remembered.": "Aucun navigateur n'est mémorisé.",
  "Forget": "Oublier",
  "Forget {name}": "Oublier {name}",
  "Web browser": "Navigateur web",
  "{name} (this browser), last sign-in {when}": "{name} (ce navigateur), dernière connexion le {when}",
  "{name} (this browser)": "{name} (ce navigateur)",
  "{name}, last sign-in {when}": "{name}, dernière connexion le {when}",
  "Your devices could not be listed: your session may have ended.": "Vos appareils n'ont pas pu être listés : votre session a peut-être pris fin.",
  "This browser is forgotten: signing in here will ask for a code again.": "Ce navigateur est oublié : une connexion ici demandera de nouveau un code.",
  "The device is forgotten.": "L'appareil est oublié.",
  "Forgetting…": "Oubli en cours…",
  "Edge": "Edge",
  "Firefox": "Firefox",
  "Chrome": "Chrome",
  "Safari": "Safari",
  "Android": "Android",
  "Windows": "Windows",
  "Linux": "Linux"
};
// END FRENCH

const DICTIONARIES = { fr: FRENCH };

function cookieLanguage() {
  const found = document.cookie.split(";").map((part) => part.trim().split("="))
    .find(([name]) => name === COOKIE);
  return found && LANGUAGES.includes(found[1]) ? found[1] : null;
}

function browserLanguage() {
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const primary = String(tag).toLowerCase().split("-")[0];
    if (LANGUAGES.includes(primary)) {
      return primary;
    }
  }
  return null;
}

export const language = cookieLanguage() || browserLanguage() || LANGUAGES[0];
const dictionary = DICTIONARIES[language] || null;

// The sentences with {names}, as patterns: "Open {name}" matches "Open Beach at dawn".
const templates = dictionary ? Object.keys(dictionary).filter((key) => /\{\w+\}/.test(key)).map((key) => {
  const names = [];
  const source = key.split(/(\{\w+\})/).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part);
    if (name) {
      names.push(name[1]);
      return "([\\s\\S]+?)";
    }
    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }).join("");
  return { pattern: new RegExp(`^${source}$`), names, french: dictionary[key] };
}) : [];

// The French of one text (its spaces around kept), or null when it has none.
function translation(text) {
  const core = text.trim();
  if (!core) {
    return null;
  }
  let french = Object.prototype.hasOwnProperty.call(dictionary, core) ? dictionary[core] : null;
  for (let index = 0; french === null && index < templates.length; index += 1) {
    const match = templates[index].pattern.exec(core);
    if (match) {
      const { names } = templates[index];
      // A part may be a sentence of its own ("{why}"): it is translated too, if it can be.
      french = templates[index].french.replace(/\{(\w+)\}/g, (_, name) => {
        const part = match[names.indexOf(name) + 1];
        return translation(part) || part;
      });
    }
  }
  return french === null || french === core ? null : text.replace(core, french);
}

// t("...") for a module that needs a sentence as a value rather than in the document.
export function t(english) {
  return dictionary ? translation(english) || english : english;
}

function leftAlone(node) {
  const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  return !element || Boolean(element.closest("[translate='no'], script, style, noscript"));
}

function translateAttribute(element, name) {
  const value = leftAlone(element) ? null : element.getAttribute(name);
  const french = value === null ? null : translation(value);
  if (french !== null) {
    element.setAttribute(name, french);
  }
}

function translateNode(node) {
  if (node.nodeType === Node.TEXT_NODE) {
    const french = leftAlone(node) ? null : translation(node.nodeValue);
    if (french !== null) {
      node.nodeValue = french;
    }
    return;
  }
  if (node.nodeType !== Node.ELEMENT_NODE || leftAlone(node)) {
    return;
  }
  for (const element of [node, ...node.querySelectorAll("*")]) {
    ATTRIBUTES.forEach((name) => translateAttribute(element, name));
  }
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    translateNode(text);
  }
}

function choose(chosen) {
  document.cookie = `${COOKIE}=${chosen}; Path=/; Max-Age=31536000; SameSite=Lax`;
  window.location.reload();
}

export function startLanguages() {
  document.documentElement.lang = language;
  const picker = document.getElementById("language");
  if (picker) {
    picker.value = language;
    picker.addEventListener("change", () => choose(picker.value));
  }
  if (!dictionary) {
    return;
  }
  translateNode(document.documentElement);
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "childList") {
        record.addedNodes.forEach(translateNode);
      } else if (record.type === "attributes") {
        translateAttribute(record.target, record.attributeName);
      } else {
        translateNode(record.target);
      }
    }
  }).observe(document.documentElement, { subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ATTRIBUTES });
}
