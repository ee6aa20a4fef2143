/* Any page with a text area or a contenteditable (help desks), on sites the user switched on.
 * The customer's message is whatever text the agent selected; the compose box is the focused
 * (or last used) editor; sending is a form submit or a button labelled Send/Reply. */
(function (root) {
  "use strict";
  const T = root.TactText || (typeof require !== "undefined" && require("../text.js"));
  let lastEditor = null;

  function editable(el) {
    return el && (T.isField(el) || (el.isContentEditable && el.getAttribute("contenteditable") !== "false"));
  }

  const generic = {
    name: "generic",
    matches() {
      return true;
    },
    readMessage(doc) {
      const selected = String(doc.getSelection ? doc.getSelection() : "").trim();
      return selected ? { senderName: "", senderEmail: "", subject: doc.title || "", text: selected } : null;
    },
    findCompose(doc) {
      const active = doc.activeElement;
      if (editable(active)) lastEditor = active;
      if (lastEditor && doc.contains(lastEditor)) return lastEditor;
      return doc.querySelector('textarea, [contenteditable="true"]');
    },
    readDraft(el) {
      return T.readText(el);
    },
    insertText(el, text) {
      T.insertAtCaret(el, text);
    },
    onSend(doc, handler) {
      const submit = (event) => handler({ event, button: null, compose: generic.findCompose(doc) });
      const click = (event) => {
        const button = event.target.closest && event.target.closest("button, [role=button]");
        if (button && /^(send|reply|submit|отправить|ответить)\b/i.test((button.textContent || button.getAttribute("aria-label") || "").trim())) {
          handler({ event, button, compose: generic.findCompose(doc) });
        }
      };
      doc.addEventListener("submit", submit, true);
      doc.addEventListener("click", click, true);
      return () => {
        doc.removeEventListener("submit", submit, true);
        doc.removeEventListener("click", click, true);
      };
    },
  };

  if (root.TactRegistry) root.TactRegistry.register(generic);
  if (typeof module !== "undefined") module.exports = generic;
})(typeof globalThis !== "undefined" ? globalThis : this);
