/* Any help desk, on sites the agent switched on. The customer's message is the text the agent
 * selected (read before the panel takes focus, see context.js) or, where the site is configured,
 * what a CSS selector finds (the last match: threads list the newest message last); the customer's
 * name comes from a configured selector or from the selection itself ("From: Ann Lee <ann@…>",
 * "Ann Lee wrote:", a "Name <address>" line). Editors are textareas, inputs, contenteditables and
 * framework editors (content/editors.js); sending is a form submit or a button labelled Send/Reply. */
(function (root) {
  "use strict";
  const T = root.TactText || (typeof require !== "undefined" && require("../text.js"));
  const E = root.TactEditors || (typeof require !== "undefined" && require("../editors.js"));
  const R = root.TactRegistry || (typeof require !== "undefined" && require("../registry.js"));
  const EDITORS = `textarea, input[type="text"], [contenteditable="true"], [contenteditable=""], ${E.RICH}`;
  const SEND_LABEL = /^(send|reply|submit|respond|post reply|отправить|ответить)\b/i;
  const EMAIL = T.EMAIL;

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  }

  function isCompose(el) {
    if (!E.isEditable(el) || el.closest("#tact-root")) return false;
    if (el.tagName === "INPUT") return false; // a search box or a subject line is not a reply
    return true;
  }

  // "From: Ann Lee <ann@example.com>", "Ann Lee <ann@…>", "Ann Lee wrote:" / "Анна пишет:".
  function nameIn(text) {
    const head = text.split("\n").slice(0, 3).join("\n");
    let m = /^(?:from|от|customer|клиент|requester)\s*:\s*"?([^"<\n@]{2,60}?)"?\s*(?:<([^>\s]+)>)?\s*$/im.exec(head);
    if (m) return { name: m[1].trim(), email: m[2] || "" };
    m = /^"?([\p{L}][\p{L} .'-]{1,58})"?\s*<([^>\s]+@[^>\s]+)>/mu.exec(head);
    if (m) return { name: m[1].trim(), email: m[2] };
    m = /^([\p{L}][\p{L} .'-]{1,58}?)\s+(?:wrote|пишет|написала?)\s*:/imu.exec(head);
    if (m) return { name: m[1].trim(), email: "" };
    const email = EMAIL.exec(head);
    return email ? { name: "", email: email[0] } : { name: "", email: "" };
  }

  // Without the header lines the name came from.
  function bodyOf(text) {
    return text.split("\n").filter((line, i) => !(i < 3 && /^(?:from|от|to|кому|date|дата|sent|subject|тема)\s*:|\s(?:wrote|пишет|написала?)\s*:\s*$/i.test(line.trim())))
      .join("\n").trim();
  }

  const generic = {
    name: "generic",
    matches() {
      return true;
    },
    isCompose,
    readMessage(doc, { selection = "", selectors = {} } = {}) {
      let text = String(selection || "").trim();
      if (!text && selectors.message) {
        const found = [...doc.querySelectorAll(selectors.message)].filter(visible);
        if (found.length) text = T.readText(found[found.length - 1]).trim();
      }
      if (!text) return null;
      const fromText = nameIn(text);
      let senderName = fromText.name;
      if (selectors.name) {
        const named = [...doc.querySelectorAll(selectors.name)].filter(visible);
        if (named.length) senderName = named[named.length - 1].textContent.trim() || senderName;
      }
      const subject = selectors.subject ? ((doc.querySelector(selectors.subject) || {}).textContent || "").trim() : "";
      return { senderName, senderEmail: fromText.email, subject, text: T.stripQuoted(bodyOf(text)) || text };
    },
    findCompose(doc) {
      const active = doc.activeElement && E.editorOf(doc.activeElement);
      if (active && isCompose(active)) return active;
      const all = [...doc.querySelectorAll(EDITORS)].map((el) => E.editorOf(el) || el).filter((el) => isCompose(el) && visible(el));
      return all[all.length - 1] || null;
    },
    composeFor(el) {
      if (el && el.form) {
        const inForm = [...el.form.querySelectorAll(EDITORS)].map((e) => E.editorOf(e) || e).find(isCompose);
        if (inForm) return inForm;
      }
      if (el && el.tagName === "FORM") {
        const inForm = [...el.querySelectorAll(EDITORS)].map((e) => E.editorOf(e) || e).find(isCompose);
        if (inForm) return inForm;
      }
      return el ? R.nearestEditor(el, EDITORS) : null;
    },
    onSend(doc, decide) {
      return R.watchSend(doc, {
        // a submit button is caught by its form's submit event; a scripted button by its label
        sendButton: (target) => {
          const button = target.closest("button, [role=button], input[type=button]");
          if (!button || button.closest("#tact-root")) return null;
          if (button.form && (button.type || "submit") === "submit") return null;
          const label = (button.getAttribute("aria-label") || button.value || button.textContent || "").trim();
          return SEND_LABEL.test(label) ? button : null;
        },
        composeFor: generic.composeFor,
        submitForms: true,
      }, decide);
    },
  };

  if (root.TactRegistry) root.TactRegistry.register(generic);
  if (typeof module !== "undefined") module.exports = generic;
})(typeof globalThis !== "undefined" ? globalThis : this);
