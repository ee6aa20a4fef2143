"use strict";
const api = typeof browser !== "undefined" ? browser : chrome;
const FIELDS = ["serverUrl", "token", "language", "agentName", "agentSignature", "agentEmail", "companyName"];
const $ = (id) => document.getElementById(id);

function status(text, kind) {
  $("status").textContent = text;
  $("status").className = kind;
}

async function load() {
  const stored = await api.storage.local.get([...FIELDS, "sites"]);
  for (const field of FIELDS) $(field).value = stored[field] || (field === "serverUrl" ? "http://127.0.0.1:8000" : "");
  $("sites").value = (stored.sites || []).join("\n");
}

async function save(quiet = false) {
  const values = Object.fromEntries(FIELDS.map((f) => [f, $(f).value.trim()]));
  let origins;
  try {
    new URL(values.serverUrl);
    origins = $("sites").value.split(/\s+/).filter(Boolean).map((s) => new URL(s).origin);
  } catch (error) {
    status(`Not a valid URL: ${error.message}`, "error");
    return false;
  }
  // Host access is asked for only what the user names: the server and the sites they switch on.
  const wanted = [new URL(values.serverUrl).origin, ...origins].map((o) => `${o}/*`);
  try {
    const granted = await api.permissions.request({ origins: wanted });
    if (!granted) status("Access to those sites was not granted; Tact will not run there.", "error");
  } catch (error) {
    /* localhost is granted in the manifest; a request outside a click is refused */
  }
  await api.storage.local.set({ ...values, sites: origins });
  if (!quiet) status("Saved.", "ok");
  return true;
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
