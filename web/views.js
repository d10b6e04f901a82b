// The view is kept in the URL's fragment, so a reload, Back and Forward, and a shared link work:
// #photos and #account while signed in (links in the page push them; Back comes back), #sign-up
// for the sign-up tab while signed out (the sign-in tab has none). A signed-in view asked for while
// signed out (a shared link to #account, say) is remembered and opened after signing in; with none,
// signing in opens My photos.

import { $, newAction } from "./ui.js";
import { loadPhotos } from "./photos.js";
import { chooseSignedOutPanel } from "./session.js";

export const SIGNED_IN_VIEWS = ["photos", "account"];
const PANELS = { photos: "photos-panel", account: "account-panel" };
const LINKS = { photos: "show-photos", account: "show-account" };

let wanted = null; // a signed-in view named by the URL while signed out
let openView = null; // the signed-in panel shown
let focusPending = null; // a panel whose link was followed: its heading gets the focus once open

function urlView() {
  return location.hash.replace(/^#/, "");
}

function setUrlView(view) {
  const base = `${location.pathname}${location.search}`;
  const url = view ? `${base}#${view}` : base;
  if (url !== base + location.hash) {
    history.replaceState(null, "", url);
  }
}

// Show one signed-in panel ("photos" lists the photos again), the link to it marked as current.
function openPanel(view) {
  openView = view;
  for (const [name, panel] of Object.entries(PANELS)) {
    $(panel).hidden = name !== view;
    if (name === view) {
      $(LINKS[name]).setAttribute("aria-current", "page");
    } else {
      $(LINKS[name]).removeAttribute("aria-current");
    }
  }
  if (focusPending === view) {
    $(`${view}-heading`).focus();
  }
  focusPending = null;
  if (view === "photos") {
    loadPhotos();
  }
}

// Signed in now: the view the URL names, else the one asked for before signing in, else My photos.
export function openSignedInView() {
  let view = urlView();
  if (!SIGNED_IN_VIEWS.includes(view)) {
    view = wanted || "photos";
    setUrlView(view);
  }
  wanted = null;
  openPanel(view);
}

export function closeSignedInViews() {
  openView = null;
  for (const [name, panel] of Object.entries(PANELS)) {
    $(panel).hidden = true;
    $(LINKS[name]).removeAttribute("aria-current");
  }
}

// The "More sign-in options" link brings the person back to the view they asked for.
function updateHostedUiLink() {
  const next = wanted ? `/#${wanted}` : "/";
  $("hosted-ui-link").setAttribute("href", `/login?next=${encodeURIComponent(next)}`);
}

// Signed out now: the tab the URL names ("sign-up" or "sign-in"); a signed-in view it names is
// kept for after signing in.
export function signedOutTabInUrl() {
  const view = urlView();
  if (SIGNED_IN_VIEWS.includes(view)) {
    wanted = view;
  }
  updateHostedUiLink();
  return view === "sign-up" ? "sign-up" : "sign-in";
}

// A tab chosen by the person: the URL says which (replaced, so Back leaves the page rather than
// flipping tabs); a view wanted after signing in stays in it until then.
export function rememberTab(tab) {
  if (tab === "sign-up") {
    setUrlView("sign-up");
  } else {
    setUrlView(wanted || "");
  }
}

// Signed out (by the person or because the session ended): nothing is wanted any more.
export function forgetWantedView(keepUrl) {
  if (!keepUrl) {
    wanted = null;
    setUrlView("");
  }
  updateHostedUiLink();
}

function followUrl() {
  if (!$("signed-in").hidden) {
    const view = urlView();
    if (!SIGNED_IN_VIEWS.includes(view)) {
      openSignedInView();
    } else if (view !== openView) {
      openPanel(view);
    }
  } else if (!$("signed-out").hidden) {
    chooseSignedOutPanel(signedOutTabInUrl());
  }
}

// A link to the panel already open: My photos is listed again; either way the focus goes to the
// panel's heading, as it does when the link opens the panel.
for (const [view, link] of Object.entries(LINKS)) {
  $(link).addEventListener("click", () => {
    newAction($(PANELS[view]));
    if (openView === view && urlView() === view) {
      if (view === "photos") {
        loadPhotos();
      }
      $(`${view}-heading`).focus();
    } else {
      focusPending = view; // focused once the URL's change opens it
    }
  });
}

// Back, Forward, a link of the page, or a fragment typed in the address bar.
window.addEventListener("popstate", followUrl);
window.addEventListener("hashchange", followUrl);
