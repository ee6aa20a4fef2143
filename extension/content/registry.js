/* One registry of site adapters (content/adapters/<site>.js, one file a site). Every adapter
 * exposes the same few functions:
 *   matches(url) · detect(doc) (optional: the page's signature, for the same app on another host)
 *   readMessage(doc) → {senderName, senderEmail, subject, text} | null
 *   findCompose(doc) → Element | null · readDraft(el) → string · insertText(el, text)
 *   onSend(doc, handler) → unsubscribe        (handler(event) may cancel the send)
 * Calls go through a guard so that a broken adapter (a changed page) logs and returns null
 * instead of breaking the page or the other adapters. */
(function (root) {
  "use strict";
  const adapters = [];

  function guard(adapter) {
    const safe = { name: adapter.name };
    for (const key of ["matches", "detect", "readMessage", "findCompose", "readDraft", "insertText", "onSend"]) {
      safe[key] = function (...args) {
        try {
          if (!adapter[key]) return null;
          return adapter[key](...args);
        } catch (error) {
          console.warn(`[tact] adapter ${adapter.name}.${key} failed:`, error && error.message);
          return key === "onSend" ? () => {} : null;
        }
      };
    }
    return safe;
  }

  // Shared by site adapters: a click on the site's Send button, or Ctrl/Cmd+Enter in an editor.
  function watchSend(doc, { sendButton, findCompose }, handler) {
    const click = (event) => {
      const button = event.target.closest && event.target.closest(sendButton);
      if (button) handler({ event, button, compose: findCompose(doc) });
    };
    const key = (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.closest && event.target.closest('[contenteditable="true"]')) {
        handler({ event, button: doc.querySelector(sendButton), compose: findCompose(doc) });
      }
    };
    doc.addEventListener("click", click, true);
    doc.addEventListener("keydown", key, true);
    return () => {
      doc.removeEventListener("click", click, true);
      doc.removeEventListener("keydown", key, true);
    };
  }

  const text = () => root.TactText || (typeof require !== "undefined" && require("./text.js"));

  // A mail site's adapter from what differs between sites: how to read the open message, which
  // elements are compose boxes, which is the Send button. The rest is the same everywhere.
  function siteAdapter({ name, matches, detect, readMessage, composeSelector, sendButton }) {
    const adapter = {
      name,
      matches,
      detect,
      readMessage,
      findCompose(doc) {
        const boxes = [...doc.querySelectorAll(composeSelector)];
        return boxes.find((b) => b.contains(doc.activeElement)) || boxes[boxes.length - 1] || null;
      },
      readDraft: (el) => text().readText(el),
      insertText: (el, value) => text().insertAtCaret(el, value),
      onSend: (doc, handler) => watchSend(doc, { sendButton, findCompose: adapter.findCompose }, handler),
    };
    return adapter;
  }

  const TactRegistry = {
    watchSend,
    siteAdapter,
    register(adapter) {
      adapters.push(guard(adapter));
    },
    // The first site adapter that claims the URL; the generic one only where the user enabled it.
    forUrl(url, options) {
      return TactRegistry.forPage(null, url, options);
    },
    // By host first; then by page signature (a self-hosted Outlook on a site the agent switched on);
    // then the generic adapter, only where the agent enabled it.
    forPage(doc, url, { genericEnabled = false } = {}) {
      const byHost = adapters.find((a) => a.name !== "generic" && a.matches(url));
      if (byHost) return byHost;
      if (genericEnabled && doc) {
        const bySignature = adapters.find((a) => a.name !== "generic" && a.detect(doc));
        if (bySignature) return bySignature;
      }
      return genericEnabled ? adapters.find((a) => a.name === "generic") || null : null;
    },
    names() {
      return adapters.map((a) => a.name);
    },
    clear() {
      adapters.length = 0;
    },
  };

  root.TactRegistry = TactRegistry;
  if (typeof module !== "undefined") module.exports = TactRegistry;
})(typeof globalThis !== "undefined" ? globalThis : this);
