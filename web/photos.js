// "My photos": the list with its thumbnails, the full-size viewer, and delete (asked first, in a
// dialog). Images need the access token, so they are fetched here and shown from blob: URLs,
// revoked once no longer shown. Descriptions come from people and are always set with
// textContent, never as HTML. The upload form is upload.js's; the view has one message area
// (#photos-message), cleared whenever a new action starts.

import { ApiError, SENTENCES, SessionEnded } from "./errors.js";
import { $, newAction, say, showError } from "./ui.js";
import { state } from "./state.js";
import { photosRequest, readJson } from "./api.js";

export function clearPhotos() {
  state.listGeneration += 1; // thumbnails still loading for the old list are dropped
  for (const url of state.photoUrls) {
    URL.revokeObjectURL(url);
  }
  state.photoUrls = [];
  $("photo-list").replaceChildren();
  $("photos-empty").hidden = true;
}

function shortText(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function whenText(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

function photoName(photo) {
  const description = typeof photo.description === "string" ? photo.description.trim() : "";
  if (description) {
    return shortText(description, 80);
  }
  const when = whenText(photo.created_at);
  return when ? `Photo added ${when}` : "Photo";
}

// The list from the server. Only the newest load of the current person is drawn: an answer
// that arrives after a newer load, a sign-out, another person or a deletion is ignored.
export async function loadPhotos() {
  const message = $("photos-message");
  const seq = ++state.loadSeq;
  const epoch = state.epoch;
  const current = () => seq === state.loadSeq && epoch === state.epoch;
  $("photo-list").setAttribute("aria-busy", "true");
  state.loadsInFlight += 1;
  try {
    const response = await photosRequest("/photos", { method: "GET" }, current);
    const body = (await readJson(response)) || {};
    if (!current()) {
      return;
    }
    drawPhotos(Array.isArray(body.photos) ? body.photos : []);
  } catch (error) {
    if (current()) {
      showError(error, message, "photos");
    }
  } finally {
    state.loadsInFlight -= 1;
    if (current()) {
      $("photo-list").removeAttribute("aria-busy");
    }
  }
}

function drawPhotos(all) {
  clearPhotos();
  const generation = state.listGeneration;
  const list = $("photo-list");
  const photos = all.filter((photo) => photo && typeof photo.id === "string" && !state.deletedIds.has(photo.id));
  $("photos-empty").hidden = photos.length > 0;
  for (const photo of photos) {
    const item = document.createElement("li");
    item.className = "photo";
    item.dataset.photoId = photo.id;
    item.dataset.testid = "photo";

    const open = document.createElement("button");
    open.type = "button";
    open.className = "thumb";
    open.setAttribute("aria-label", `Open ${photoName(photo)}`);
    const image = document.createElement("img");
    image.alt = "";
    image.width = 300;
    image.height = 300;
    image.dataset.testid = "thumbnail";
    open.append(image);
    open.addEventListener("click", () => openViewer(photo));

    const caption = document.createElement("div");
    caption.className = "caption";
    const text = document.createElement("p");
    text.className = "description";
    text.translate = false; // what the person wrote stays as written, in any language
    text.textContent = typeof photo.description === "string" ? photo.description : "";
    const time = document.createElement("time");
    time.dateTime = typeof photo.created_at === "string" ? photo.created_at : "";
    time.textContent = whenText(photo.created_at);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary small";
    remove.textContent = "Delete";
    remove.dataset.testid = "delete-photo";
    remove.setAttribute("aria-label", `Delete ${photoName(photo)}`);
    remove.addEventListener("click", () => askToDelete(photo, item, remove));
    caption.append(text, time, remove);

    item.append(open, caption);
    list.append(item);
    loadImage(thumbnailUrl(photo), image, generation);
  }
}

// Only paths of this site, as the API gives them; anything else falls back to the known path.
function sameSitePath(value, fallback) {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") ? value : fallback;
}

function thumbnailUrl(photo) {
  return sameSitePath(photo.thumbnail_url, `/photos/${encodeURIComponent(photo.id)}/thumbnail`);
}

function imageUrl(photo) {
  return sameSitePath(photo.image_url, `/photos/${encodeURIComponent(photo.id)}/image`);
}

// Images need the Bearer header, so they are fetched here and shown from blob: URLs.
async function loadImage(url, image, generation) {
  const current = () => generation === state.listGeneration;
  try {
    const blob = await (await photosRequest(url, { method: "GET" }, current)).blob();
    if (!current()) {
      return;
    }
    const objectUrl = URL.createObjectURL(blob);
    if (!current()) {
      URL.revokeObjectURL(objectUrl); // the list was drawn again meanwhile
      return;
    }
    state.photoUrls.push(objectUrl);
    image.src = objectUrl;
  } catch (error) {
    if (!(error instanceof SessionEnded) && generation === state.listGeneration) {
      image.alt = "This photo could not be loaded.";
    }
  }
}

// Delete asks first, in a modal dialog: "Keep it" has the focus, Escape keeps the photo too, and
// the focus goes back to the photo's Delete button unless it is deleted.
let toDelete = null;

function askToDelete(photo, item, button) {
  const dialog = $("delete-photo-dialog");
  if (dialog.open) {
    return;
  }
  toDelete = { photo, item, button };
  $("delete-photo-text").textContent = `“${photoName(photo)}” will be gone for good.`;
  dialog.showModal();
  $("delete-photo-no").focus();
}

$("delete-photo-no").addEventListener("click", () => $("delete-photo-dialog").close());
$("delete-photo-yes").addEventListener("click", () => {
  const chosen = toDelete;
  toDelete = null;
  $("delete-photo-dialog").close();
  if (chosen) {
    deletePhoto(chosen.photo, chosen.item, chosen.button);
  }
});
$("delete-photo-dialog").addEventListener("close", () => {
  if (toDelete) { // kept (Keep it, or Escape)
    const { button } = toDelete;
    toDelete = null;
    if (button.isConnected) {
      button.focus();
    }
  }
});

export function closeDeleteDialog() {
  toDelete = null;
  if ($("delete-photo-dialog").open) {
    $("delete-photo-dialog").close();
  }
}

async function deletePhoto(photo, item, button) {
  const message = $("photos-message");
  const epoch = state.epoch;
  const seqAtStart = state.loadSeq;
  newAction($("photos-panel"));
  button.disabled = true;
  button.focus();
  try {
    await photosRequest(`/photos/${encodeURIComponent(photo.id)}`, { method: "DELETE" });
    say(message, "The photo is deleted.", "ok");
  } catch (error) {
    if (epoch !== state.epoch) {
      return;
    }
    if (!(error instanceof ApiError && error.code === "PhotoNotFound")) {
      button.disabled = false;
      showError(error, message, "photos");
      return;
    }
    say(message, SENTENCES.PhotoNotFound, "ok");
  }
  state.deletedIds.add(photo.id);
  // A list asked for while the deletion ran may still hold the photo: ask again, now that it is
  // gone, and let that newer answer win.
  if (state.loadsInFlight > 0 || state.loadSeq !== seqAtStart) {
    loadPhotos();
  }
  if (!item.isConnected) {
    return; // the list was drawn again meanwhile (without the photo)
  }
  // Focus goes to the next photo's delete button, or the previous one's, or the upload form.
  const next = item.nextElementSibling || item.previousElementSibling;
  const image = item.querySelector("img");
  if (image && image.src.startsWith("blob:")) {
    URL.revokeObjectURL(image.src);
    state.photoUrls = state.photoUrls.filter((url) => url !== image.src);
  }
  item.remove();
  $("photos-empty").hidden = $("photo-list").children.length > 0;
  if (next) {
    next.querySelector("[data-testid=delete-photo]").focus();
  } else {
    $("upload-file").focus();
  }
}

// The full-size photo, in a dialog (Escape or "Close" closes it; focus returns to the thumbnail).
// Each opening has its own number: bytes that arrive for an earlier opening (or after closing)
// are dropped, and a blob: URL is revoked as soon as it is replaced or the viewer closes.
async function openViewer(photo) {
  const viewer = $("photo-viewer");
  closeViewer();
  const seq = ++state.viewerSeq;
  const current = () => seq === state.viewerSeq && viewer.open;
  $("photo-viewer").dataset.photoId = photo.id;
  $("viewer-title").textContent = photoName(photo);
  $("viewer-description").textContent = typeof photo.description === "string" ? photo.description : "";
  $("viewer-image").alt = typeof photo.description === "string" ? photo.description : "";
  say($("viewer-message"), "Loading the photo…");
  viewer.showModal();
  try {
    const blob = await (await photosRequest(imageUrl(photo), { method: "GET" }, current)).blob();
    if (!current()) {
      return;
    }
    setViewerImage(URL.createObjectURL(blob));
    say($("viewer-message"), "");
  } catch (error) {
    if (current()) {
      showError(error, $("viewer-message"), "photos");
    }
  }
}

function setViewerImage(url) {
  const previous = state.viewerUrl;
  state.viewerUrl = url;
  if (url) {
    $("viewer-image").src = url;
  } else {
    $("viewer-image").removeAttribute("src");
  }
  if (previous && previous !== url) {
    URL.revokeObjectURL(previous);
  }
}

export function closeViewer() {
  closeDeleteDialog();
  const viewer = $("photo-viewer");
  state.viewerSeq += 1;
  if (viewer.open) {
    viewer.close();
  }
  setViewerImage(null);
}

$("viewer-close").addEventListener("click", closeViewer);
// Closed by Escape too. The event comes a moment after close(): if the viewer was opened again
// meanwhile, that opening is left alone.
$("photo-viewer").addEventListener("close", () => {
  if ($("photo-viewer").open) {
    return;
  }
  state.viewerSeq += 1;
  setViewerImage(null);
  delete $("photo-viewer").dataset.photoId;
});
