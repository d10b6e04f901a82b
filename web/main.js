// The page's entry module: it loads every part of the page, wires the signed-in page's navigation,
// and starts by asking whether someone is signed in here.
//
// The page: sign up, log in (with an authenticator code when asked), the hosted UI, account
// settings and "My photos", all through this server: the JSON endpoint (POST /) and the photos API.
// Plain ES modules served from /static/, no build step:
//   errors.js      what a failed request is, and the sentence people read for it
//   ui.js          messages, form checks, busy buttons and the focus, used by every part
//   state.js       what the page remembers in memory: the token, whose it is, counters for late answers
//   api.js         calling the server: JSON methods, refresh, the photos API
//   session.js     the two states of the page, signed out and signed in, and the moves between them
//   signed-out.js  log in, the authenticator step, sign up and confirm, a forgotten password
//   account.js     sign out, change the password, the authenticator app, delete the account
//   photos.js      upload, the list with thumbnails, the viewer, delete
//
// The access token lives only in the page's memory (state.js). Text that comes from the server or
// from people (descriptions, names) is always set with textContent, never parsed as HTML.
//
// api.js, session.js and the three parts import from each other (the two states reset every part;
// every part moves between the states). That cycle is safe because, while the modules load, they
// only define functions and add event listeners with ui.js's helpers, which are outside the cycle;
// the rest runs from start() below or from events, once every module is loaded.

import { ApiError, sentenceFor } from "./errors.js";
import { $ } from "./ui.js";
import { state } from "./state.js";
import { hostedUiSession, refreshTokens } from "./api.js";
import { choosePanel, showSignedIn, showSignedOut } from "./session.js";
import "./signed-out.js"; // its forms, set up as it loads
import { takeDeletedFlag } from "./account.js";
import { loadPhotos } from "./photos.js";

$("show-photos").addEventListener("click", () => {
  choosePanel("photos");
  $("photos-heading").focus();
  loadPhotos();
});

$("show-account").addEventListener("click", () => {
  choosePanel("account");
  $("account-heading").focus();
});

async function start() {
  const deleted = takeDeletedFlag();
  try {
    await refreshTokens();
  } catch (error) {
    // 401 NoSession / SessionExpired: nobody is signed in here, which is no error.
    if (error instanceof ApiError && error.status === 401) {
      showSignedOut(deleted ? "Your account is deleted." : null, "ok");
    } else {
      showSignedOut(`We could not check whether you are signed in. ${sentenceFor(error, "refresh")}`);
    }
    return;
  }
  state.viaHostedUi = await hostedUiSession();
  await showSignedIn();
}

start();
