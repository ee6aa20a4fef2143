"use strict";
const api = typeof browser !== "undefined" ? browser : chrome;
const FIELDS = ["serverUrl", "token", "language", "agentName", "agentSignature", "agentEmail", "companyName"];
const $ = (id) => document.getElementById(id);

function status(text, kind) {
  $("status").textContent = text;
  $("status").className = kind;
}

async function load() {
  const stored = await api.storage.local.get([...FIELDS, "sites", "siteSelectors"]);
  for (const field of FIELDS) $(field).value = stored[field] || (field === "serverUrl" ? "http://127.0.0.1:8000" : "");
  const selectors = stored.siteSelectors || {};
  $("sites").value = (stored.sites || []).map((origin) => {
    const s = selectors[origin] || {};
    return s.message || s.name ? [origin, s.message || "", s.name || ""].join(" | ").replace(/( \| )+$/, "") : origin;
  }).join("\n");
}

// "https://desk.example.com | .message-body | .requester-name": an origin, then optionally where
// that help desk shows the customer's message and name.
function parseSites(text) {
  const sites = [];
  const selectors = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const [site, message = "", name = ""] = line.split("|").map((p) => p.trim());
    const origin = new URL(site).origin;
    for (const selector of [message, name].filter(Boolean)) document.createDocumentFragment().querySelector(selector); // throws on a bad one
    sites.push(origin);
    if (message || name) selectors[origin] = { message, name };
  }
  return { sites, selectors };
}

function read() {
  const values = Object.fromEntries(FIELDS.map((f) => [f, $(f).value.trim()]));
  new URL(values.serverUrl);
  return { values, ...parseSites($("sites").value) };
}

// Called straight from the click: permissions.request must come before any await, or the
// browser no longer counts it as the user's gesture and refuses.
function save(quiet = false) {
  let form;
  try {
    form = read();
  } catch (error) {
    status(`Not valid: ${error.message}`, "error");
    return Promise.resolve(false);
  }
  const { values, sites, selectors } = form;
  // Host access is asked for only what the user names: the server and the sites they switch on.
  const wanted = [new URL(values.serverUrl).origin, ...sites].map((o) => `${o}/*`);
  const asked = api.permissions.request({ origins: wanted }).catch(() => false);
  return asked.then(async (granted) => {
    const allowed = [];
    for (const origin of sites) if (await api.permissions.contains({ origins: [`${origin}/*`] })) allowed.push(origin);
    await api.storage.local.set({ ...values, siteSelectors: selectors });
    for (const origin of allowed) await api.runtime.sendMessage({ type: "siteEnabled", data: { origin } });
    const dropped = sites.filter((o) => !allowed.includes(o));
    if (!granted && dropped.length) status(`Access was not granted to ${dropped.join(", ")}; Tact will not run there.`, "error");
    else if (!quiet) status("Saved.", "ok");
    return true;
  });
}

async function verify() {
  if (!(await save(true))) return;
  status("Checking…", "");
  const result = await api.runtime.sendMessage({ type: "verify" });
  if (result.ok) status("Connected: the server answered and accepted the token.", "ok");
  else if (result.error === "unauthorized") status("The server answered, but it rejected the token.", "error");
  else if (result.error === "not_configured") status("Enter the server URL and a token.", "error");
  else status(`Cannot reach the server: ${result.message || result.error}`, "error");
}

$("save").addEventListener("click", () => save());
$("verify").addEventListener("click", verify);
load();
