// The page's entry module: it loads every part of the page and starts by asking whether someone is
// signed in here.
//
// The page: sign up, sign in (with an authenticator code when asked), "More sign-in options" (the
// hosted UI), account settings and "My photos", all through this server: the JSON endpoint
// (POST /), GET /me and the photos API. Plain ES modules served from /static/, no build step:
//   i18n.js        the page in English or French: the switch, and every text put in the page translated
//   errors.js      what a failed request is, and the sentence people read for it
//   ui.js          messages, form checks, busy buttons and the focus, used by every part
//   state.js       what the page remembers in memory: the token, whose it is, counters for late answers
//   api.js         calling the server: JSON methods, refresh, GET /me, the photos API (uploads with progress)
//   views.js       the view in the URL (#photos, #account, #sign-up): reload, Back and shared links
//   session.js     the two states of the page, signed out and signed in, the moves between them, the tabs
//   password.js    show/hide toggles, and the password rules ticked as they are met
//   signed-out.js  sign in, the code step, sign up and confirm, a forgotten password
//   mfa-step.js    the code step's words (app, text message, email) and the choice among them
//   account.js     sign out, change the password, the authenticator app, delete the account
//   email-change.js  "Change email": the new address, then the code sent to it
//   mfa-codes.js   codes by text message or email: the phone number, turning each on and off
//   passkeys.js    an emailed sign-in code, passkeys: signing in with one, adding, listing, deleting
//   devices.js     remembered browsers: the name one is remembered by, listing and forgetting them
//   photos.js      the list with thumbnails, the viewer, delete (asked first)
//   upload.js      add a photo: its preview, the upload's progress
//
// The access token lives only in the page's memory (state.js). Text that comes from the server or
// from people (descriptions, names) is always set with textContent, never parsed as HTML.
//
// The modules import from each other (the two states reset every part; every part moves between
// the states). That cycle is safe because, while the modules load, they only define functions and
// add event listeners with ui.js's helpers, which are outside the cycle; the rest runs from start()
// below or from events, once every module is loaded.

import { startLanguages } from "./i18n.js"; // first: the page in its language before anything is shown
import { ApiError, sentenceFor } from "./errors.js";
import { state } from "./state.js";
import { pageInfo, refreshTokens } from "./api.js";
import { showSignedIn, showSignedOut } from "./session.js";
import { usePasswordPolicy } from "./password.js";
import "./signed-out.js"; // its forms, set up as it loads
import { takeDeletedFlag } from "./account.js";
import "./upload.js";
import "./passkeys.js";
import "./devices.js";

// GET /me first: it says whether the browser holds a refresh cookie. Without one nobody is signed
// in here, and `refresh` is not asked (it would answer 401, which the browser logs as an error).
async function start() {
  const deleted = takeDeletedFlag();
  const info = await pageInfo();
  usePasswordPolicy(info && info.password_policy);
  const signedOutNotice = deleted ? "Your account is deleted." : null;
  if (info && info.refresh_cookie === false) {
    showSignedOut(signedOutNotice, "ok", true);
    return;
  }
  try {
    await refreshTokens();
  } catch (error) {
    // 401 NoSession / SessionExpired: the cookie was no longer good, so nobody is signed in here.
    if (error instanceof ApiError && error.status === 401) {
      showSignedOut(signedOutNotice, "ok", true);
    } else {
      showSignedOut(`We could not check whether you are signed in. ${sentenceFor(error, "refresh")}`, "error", true);
    }
    return;
  }
  state.viaHostedUi = Boolean(info && info.signed_in);
  await showSignedIn();
}

startLanguages();
start();
