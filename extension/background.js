/* Background: the only place that talks to the Tact server (the token never enters web pages).
 * Content scripts send {type, data} messages and get {ok, data} or {ok: false, error, message}. */
"use strict";
const api = typeof browser !== "undefined" ? browser : chrome;
const DEFAULTS = { serverUrl: "http://127.0.0.1:8000", token: "", language: "", agentName: "", agentSignature: "",
                   companyName: "", agentEmail: "", sites: [], siteSelectors: {} };
// The same scripts the manifest injects into the mail sites: one list, in the manifest.
const CONTENT_FILES = api.runtime.getManifest().content_scripts[0].js;
let templatesCache = { at: 0, key: "", items: [] };

async function settings() {
  return { ...DEFAULTS, ...(await api.storage.local.get(Object.keys(DEFAULTS))) };
}

async function call(path, { method = "GET", body } = {}) {
  const cfg = await settings();
  if (!cfg.serverUrl || !cfg.token) return { ok: false, error: "not_configured" };
  let response;
  try {
    response = await fetch(cfg.serverUrl.replace(/\/+$/, "") + path, {
      method,
      headers: { Authorization: `Bearer ${cfg.token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15000),
    });
  } catch (error) {
    return { ok: false, error: "unreachable", message: String(error && error.message) };
  }
  let data = null;
  try {
    data = response.status === 204 ? null : await response.json();
  } catch (error) {
    data = null;
  }
  if (response.status === 401) return { ok: false, error: "unauthorized", message: data && data.message };
  if (!response.ok) return { ok: false, error: "http", status: response.status, message: (data && data.message) || response.statusText };
  return { ok: true, data };
}

const handlers = {
  async config() {
    const cfg = await settings();
    delete cfg.token;
    return { ok: true, data: cfg };
  },
  suggest: (data) => call("/api/v1/suggest", { method: "POST", body: data }),
  check: (data) => call("/api/v1/check", { method: "POST", body: data }),
  render: (data) => call("/api/v1/render", { method: "POST", body: data }),
  feedback: (data) => call("/api/v1/feedback", { method: "POST", body: data }),
  async templates() {
    const cfg = await settings();
    const key = cfg.serverUrl + cfg.token;
    if (templatesCache.key === key && Date.now() - templatesCache.at < 60000) return { ok: true, data: templatesCache.items };
    const result = await call("/api/v1/templates?status=published&limit=1000");
    if (result.ok) templatesCache = { at: Date.now(), key, items: result.data };
    return result;
  },
  // The popup or the options page obtained the site permission (in the click that asked for it);
  // from here on the site is the agent's: stored, registered for its next pages, and the open tab
  // gets Tact now, without a reload.
  async siteEnabled({ origin }) {
    const granted = await api.permissions.contains({ origins: [`${origin}/*`] });
    if (!granted) return { ok: false, error: "not_granted" };
    const { sites } = await settings();
    if (!sites.includes(origin)) await api.storage.local.set({ sites: [...sites, origin] });
    await registerGenericSites();
    // with the permission, this origin's open tabs are visible: each gets Tact now
    let injected = 0;
    for (const tab of await api.tabs.query({ url: `${origin}/*` })) {
      try {
        await api.scripting.executeScript({ target: { tabId: tab.id }, files: CONTENT_FILES });
        injected += 1;
      } catch (error) {
        console.warn("[tact] cannot start in a tab", error && error.message);
      }
    }
    return { ok: true, data: { injected } };
  },
  async siteDisabled({ origin }) {
    const { sites } = await settings();
    await api.storage.local.set({ sites: sites.filter((s) => s !== origin) });
    try {
      await api.permissions.remove({ origins: [`${origin}/*`] });
    } catch (error) {
      /* a manifest host (localhost) cannot be removed */
    }
    await registerGenericSites();
    return { ok: true, data: {} };
  },
  async verify() {
    const cfg = await settings();
    try {
      const health = await fetch(cfg.serverUrl.replace(/\/+$/, "") + "/health", { signal: AbortSignal.timeout(10000) });
      if (!health.ok) return { ok: false, error: "unreachable", message: `health answered ${health.status}` };
    } catch (error) {
      return { ok: false, error: "unreachable", message: String(error && error.message) };
    }
    return call("/api/v1/templates?limit=1");
  },
};

api.runtime.onMessage.addListener((message, sender, reply) => {
  const handler = message && handlers[message.type];
  if (!handler) return false;
  Promise.resolve(handler(message.data || {}))
    .then(reply)
    .catch((error) => reply({ ok: false, error: "internal", message: String(error && error.message) }));
  return true; // answer asynchronously
});

if (api.commands) {
  api.commands.onCommand.addListener(async (command) => {
    if (command !== "open-panel") return;
    const [tab] = await api.tabs.query({ active: true, currentWindow: true });
    if (tab) api.tabs.sendMessage(tab.id, { type: "open-panel" }).catch(() => {});
  });
}

// The generic adapter runs only on sites the user switched on (and granted) in the options.
async function registerGenericSites() {
  if (!api.scripting || !api.scripting.registerContentScripts) return;
  const { sites } = await settings();
  try {
    await api.scripting.unregisterContentScripts({ ids: ["tact-generic"] });
  } catch (error) {
    /* not registered yet */
  }
  const matches = (sites || []).map((origin) => origin.replace(/\/*$/, "") + "/*");
  if (!matches.length) return;
  try {
    await api.scripting.registerContentScripts([{ id: "tact-generic", matches, js: CONTENT_FILES, runAt: "document_idle" }]);
  } catch (error) {
    console.warn("[tact] cannot register generic sites", error && error.message);
  }
}

api.storage.onChanged.addListener((changes) => {
  if (changes.sites) registerGenericSites();
  if (changes.token || changes.serverUrl) templatesCache = { at: 0, key: "", items: [] };
});
api.runtime.onInstalled && api.runtime.onInstalled.addListener(registerGenericSites);
