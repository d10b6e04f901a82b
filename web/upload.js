// "Add a photo": a preview of the chosen file (from an object URL, revoked when the choice changes
// or the form is reset), the upload with a progress bar and its percentage (XMLHttpRequest's
// upload progress, through api.js), and the answer in the view's one message area.

import { ApiError, SENTENCES } from "./errors.js";
import { $, busy, checkForm, markInvalid, newAction, onSubmit, say, showError } from "./ui.js";
import { state } from "./state.js";
import { uploadPhoto } from "./api.js";
import { loadPhotos } from "./photos.js";

const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

let previewUrl = null;

function showPreview(file) {
  if (previewUrl) {
    URL.revokeObjectURL(previewUrl);
    previewUrl = null;
  }
  const box = $("upload-preview-box");
  if (!file || !file.type.startsWith("image/")) {
    $("upload-preview").removeAttribute("src");
    box.hidden = true;
    return;
  }
  previewUrl = URL.createObjectURL(file);
  $("upload-preview").src = previewUrl;
  $("upload-preview").alt = `Preview of ${file.name}`;
  $("upload-preview-caption").textContent = `${file.name} (${sizeText(file.size)})`;
  box.hidden = false;
}

function sizeText(bytes) {
  if (bytes >= 1024 * 1024) {
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function showProgress(sent, total) {
  const percent = total > 0 ? Math.min(100, Math.floor((sent / total) * 100)) : 0;
  $("upload-progress").value = percent;
  $("upload-percent").textContent = `${percent}%`;
  $("upload-progress-box").dataset.percent = String(percent);
}

function hideProgress() {
  $("upload-progress-box").hidden = true;
  showProgress(0, 0);
}

// The form emptied (after an upload, a sign-out, another person): no preview, no bar.
export function resetUpload() {
  showPreview(null);
  hideProgress();
}

$("upload-file").addEventListener("change", () => {
  newAction($("photos-panel"));
  showPreview($("upload-file").files[0] || null);
});

onSubmit($("upload-form"), () => {
  const form = $("upload-form");
  const message = $("photos-message");
  newAction($("photos-panel"));
  if (!checkForm(form, message)) {
    return;
  }
  const file = $("upload-file").files[0];
  if (file.size > MAX_PHOTO_BYTES) {
    say(message, SENTENCES.PhotoTooLarge, "error");
    markInvalid(form, $("upload-file"), message);
    return;
  }
  const data = new FormData();
  data.append("photo", file, file.name);
  data.append("description", $("upload-description").value);
  const epoch = state.epoch;
  busy(form, async () => {
    showProgress(0, file.size);
    $("upload-progress-box").hidden = false;
    try {
      await uploadPhoto(data, showProgress);
      if (epoch !== state.epoch) {
        return;
      }
      form.reset();
      resetUpload();
      say(message, "Your photo is uploaded.", "ok");
      await loadPhotos();
    } catch (error) {
      hideProgress();
      showError(error, message, "photos", form);
      if (error instanceof ApiError && !error.field && ["NotAnImage", "PhotoTooLarge"].includes(error.code)) {
        markInvalid(form, $("upload-file"), message);
      }
    }
  }, "Uploading…");
});
