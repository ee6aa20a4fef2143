/* The toolbar button: switch Tact on for the site in the current tab. The permission is asked for
 * inside the click (the user gesture browsers require), then the background stores the site,
 * registers Tact for it and starts it in the site's open tabs. The options page opens it with
 * ?origin=<origin> for a site typed there. */
"use strict";
const api = typeof browser !== "undefined" ? browser : chrome;
const $ = (id) => document.getElementById(id);
const t = (key, fallback) => (api.i18n && api.i18n.getMessage(key)) || fallback;
const BUILT_IN = /^https:\/\/(mail\.google\.com|outlook\.(office|office365|live)\.com)$/;
let origin = "";

async function currentOrigin() {
  const wanted = new URLSearchParams(location.search).get("origin");
  if (wanted) return wanted;
  const [active] = await api.tabs.query({ active: true, currentWindow: true }); // activeTab: its URL
  return active && (active.url || active.pendingUrl);
}

function show(state, kind = "") {
  $("state").textContent = state;
  $("state").className = kind;
}

async function refresh() {
  $("title").textContent = t("popupTitle", "Tact on this site");
  $("enable").textContent = t("enableSite", "Enable Tact on this site");
  $("disable").textContent = t("disableSite", "Turn Tact off on this site");
  $("options").textContent = t("openOptions", "Options");
  let url = null;
  try {
    url = new URL(await currentOrigin());
  } catch (error) {
    url = null;
  }
  if (!url || !/^https?:$/.test(url.protocol)) {
    show(t("notAPage", "Tact cannot work on this page."));
    return;
  }
  origin = url.origin;
  $("origin").textContent = origin;
  if (BUILT_IN.test(origin)) {
    show(t("siteBuiltIn", "Tact works here out of the box."));
    return;
  }
  const { sites = [] } = await api.storage.local.get("sites");
  const on = sites.includes(origin) && (await api.permissions.contains({ origins: [`${origin}/*`] }));
  show(on ? t("siteOn", "Tact works on this site.") : t("siteOff", "Tact is off on this site."));
  $("enable").hidden = on;
  $("disable").hidden = !on;
}

$("enable").addEventListener("click", () => {
  // permissions.request first, synchronously in the click: no await may come before it
  api.permissions.request({ origins: [`${origin}/*`] }).then(async (granted) => {
    if (!granted) {
      show(t("notGranted", "Access was not granted; Tact stays off here."), "error");
      return;
    }
    const result = await api.runtime.sendMessage({ type: "siteEnabled", data: { origin } });
    if (!result || !result.ok) show(t("notGranted", "Access was not granted; Tact stays off here."), "error");
    await refresh();
  }, (error) => show(String(error && error.message), "error"));
});

$("disable").addEventListener("click", async () => {
  await api.runtime.sendMessage({ type: "siteDisabled", data: { origin } });
  await refresh();
});

$("options").addEventListener("click", () => api.runtime.openOptionsPage());
refresh();
