// Remembered devices: the name a browser is remembered by (the code step's "Remember this browser"
// sends it, signed-out.js), and in account settings the list of the account's devices (listDevices)
// with "Forget" for each (forgetDevice). Forgetting this browser means its next sign-in asks for a
// code again; the server clears the browser's device cookie, which the page never sees (HttpOnly).

import { ApiError } from "./errors.js";
import { $, busyButton, newAction, say, showError } from "./ui.js";
import { language } from "./i18n.js";
import { call, userCall, withToken } from "./api.js";

// The user agent's marks, and the names people know (the same in every language).
const BROWSERS = [[/Edg\//, "Edge"], [/Firefox\//, "Firefox"], [/Chrome\//, "Chrome"], [/Safari\//, "Safari"]];
const SYSTEMS = [[/Android/, "Android"], [/iPhone/, "iPhone"], [/iPad/, "iPad"], [/Windows/, "Windows"],
  [/Mac OS X/, "macOS"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"]];

// "Firefox, Linux": what the person will recognise in the list, from the browser's user agent.
export function browserName() {
  const agent = navigator.userAgent || "";
  const browser = (BROWSERS.find(([mark]) => mark.test(agent)) || [null, "Web browser"])[1];
  const system = (SYSTEMS.find(([mark]) => mark.test(agent)) || [null, ""])[1];
  return system ? `${browser}, ${system}` : browser;
}

function dateOf(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleDateString(language, { dateStyle: "medium" });
}

function describe(device) {
  const name = device.name || "Web browser";
  const when = dateOf(device.last_signed_in || device.created);
  if (device.this_browser) {
    return when ? `${name} (this browser), last sign-in ${when}` : `${name} (this browser)`;
  }
  return when ? `${name}, last sign-in ${when}` : name;
}

function showDevices(devices) {
  const list = $("device-list");
  list.replaceChildren();
  for (const device of devices) {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = describe(device);
    const forget = document.createElement("button");
    forget.type = "button";
    forget.className = "secondary small";
    forget.textContent = "Forget";
    forget.setAttribute("aria-label", `Forget ${device.name || "Web browser"}`);
    forget.dataset.testid = "device-forget";
    forget.addEventListener("click", () => forgetDevice(device, forget));
    item.append(label, forget);
    list.append(item);
  }
  $("devices-empty").hidden = devices.length > 0;
}

async function loadDevices() {
  try {
    const answer = await withToken((token) => call("listDevices", { access_token: token }), []);
    showDevices(Array.isArray(answer.devices) ? answer.devices : []);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      say($("devices-message"), "Your devices could not be listed: your session may have ended.", "error");
      return;
    }
    if (error instanceof ApiError && error.code === "DevicesNotEnabled") {
      showDevices([]);
      return;
    }
    showError(error, $("devices-message"), "listDevices");
  }
}

function forgetDevice(device, button) {
  newAction($("devices-box"));
  busyButton(button, async () => {
    try {
      const answer = await userCall("forgetDevice", { key: device.key });
      say($("devices-message"), answer.this_browser
        ? "This browser is forgotten: signing in here will ask for a code again."
        : "The device is forgotten.", "ok");
      await loadDevices();
    } catch (error) {
      showError(error, $("devices-message"), "forgetDevice");
    }
  }, "Forgetting…");
}

// Account settings list the devices whenever they are shown; signing out forgets the list.
new MutationObserver(() => {
  if (!$("account-panel").hidden && !$("signed-in").hidden) {
    loadDevices();
  } else if ($("signed-in").hidden) {
    $("device-list").replaceChildren();
    $("devices-empty").hidden = true;
  }
}).observe($("account-panel"), { attributes: true, attributeFilter: ["hidden"] });
