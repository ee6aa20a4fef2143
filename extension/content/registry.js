/* One registry of site adapters (content/adapters/<site>.js, one file a site). Every adapter
 * exposes the same few functions:
 *   matches(url) · detect(doc) (optional: the page's signature, for the same app on another host)
 *   readMessage(doc, {ownEmail, ownName, selection, selectors}) → {senderName, senderEmail, subject, text} | null
 *   isCompose(el) → is this element one of the site's reply editors
 *   findCompose(doc) → Element | null        (the focused editor, else the last one)
 *   composeFor(el) → Element | null          (the editor of the compose window that holds el: a Send button)
 *   ownEmail(doc) → the signed-in account, when the page shows it
 *   onSend(doc, decide) → unsubscribe        (see watchSend)
 * Reading and writing editors is not the adapters' business: content/editors.js has one
 * strategy per kind of editor. Calls go through a guard so that a broken adapter (a changed page)
 * logs and returns null instead of breaking the page or the other adapters. */
(function (root) {
  "use strict";
  const adapters = [];
  const METHODS = ["matches", "detect", "readMessage", "isCompose", "findCompose", "composeFor", "ownEmail", "onSend"];

  function guard(adapter) {
    const safe = { name: adapter.name };
    for (const key of METHODS) {
      safe[key] = function (...args) {
        try {
          if (!adapter[key]) return key === "onSend" ? () => {} : null;
          return adapter[key](...args);
        } catch (error) {
          console.warn(`[tact] adapter ${adapter.name}.${key} failed:`, error && error.message);
          return key === "onSend" ? () => {} : null;
        }
      };
    }
    return safe;
  }

  const editors = () => root.TactEditors || (typeof require !== "undefined" && require("./editors.js"));

  // The editor of the compose window that holds `el`: the nearest ancestor of el that contains a
  // reply editor decides, so the Send of a pop-out finds the pop-out's body and never the inline
  // reply's (both are on the page at once in Gmail and Outlook).
  function nearestEditor(el, selector) {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (node.matches(selector)) return node;
      const inside = [...node.querySelectorAll(selector)];
      if (inside.length === 1) return inside[0];
      if (inside.length > 1) {
        // several composes under one ancestor: the last editor before el in document order
        const before = inside.filter((e) => e.compareDocumentPosition(el) & 4 /* el follows */);
        return before[before.length - 1] || inside[0];
      }
    }
    return null;
  }

  const POINTER = ["pointerdown", "mousedown", "pointerup", "mouseup", "click"];

  /* Sends, caught before the site sees them: a press on a Send button (Gmail acts on mousedown +
   * mouseup, not on click; others on click), Enter/Space on a focused Send button, Ctrl/Cmd+Enter in
   * an editor, a form submit. `decide({kind, compose, button, form})` returns null to let the send go
   * untouched, or a promise: while it is pending every event of that gesture is held back from the
   * page; true then replays the send the way the site listens to it (the whole press sequence on
   * the button, or the form's requestSubmit), false drops it. */
  function watchSend(doc, { sendButton, composeFor, submitForms = false }, decide) {
    const view = doc.defaultView || root;
    let bypass = false;
    let held = null; // {button} while a decision on a press is pending: the rest of the press waits too

    function buttonOf(target) {
      if (!target || !target.closest) return null;
      const button = typeof sendButton === "function" ? sendButton(target) : target.closest(sendButton);
      return button || null;
    }

    function hold(event) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }

    function replayPress(button) {
      const rect = button.getBoundingClientRect();
      const at = { bubbles: true, cancelable: true, composed: true, view, button: 0,
                   clientX: rect.left + rect.width / 2, clientY: rect.top + rect.height / 2 };
      bypass = true;
      try {
        for (const type of POINTER) {
          const Ctor = type.startsWith("pointer") && view.PointerEvent ? view.PointerEvent : view.MouseEvent;
          button.dispatchEvent(new Ctor(type, { ...at, buttons: type.endsWith("down") ? 1 : 0, pointerType: "mouse", isPrimary: true }));
        }
      } finally {
        bypass = false;
      }
    }

    function settle(verdict, go) {
      Promise.resolve(verdict).then((ok) => {
        held = null;
        if (ok) go();
      }, () => {
        held = null;
        go(); // the guard itself failed: never lose the agent's send
      });
    }

    const press = (event) => {
      if (bypass || (event.button !== undefined && event.button !== 0)) return;
      const button = buttonOf(event.target);
      if (!button) return;
      if (held) {
        if (held.button === button) {
          hold(event); // the rest of a press that is being checked
          if (event.type === "click") held.release();
        }
        return;
      }
      if (event.type !== "pointerdown" && event.type !== "mousedown" && event.type !== "click") return;
      // A dialog shown in the middle of the press would catch its mouseup: the guard waits for
      // `released` (the press's click, or 500 ms) before asking anything.
      let release;
      const released = new Promise((resolve) => {
        release = resolve;
        setTimeout(resolve, event.type === "click" ? 0 : 500);
      });
      const verdict = decide({ kind: "press", button, compose: composeFor(button), event, released });
      if (!verdict) return;
      hold(event);
      held = { button, release };
      settle(verdict, () => replayPress(button));
    };

    const key = (event) => {
      if (bypass || event.key !== "Enter" && event.key !== " ") return;
      const button = buttonOf(event.target);
      const inEditor = event.key === "Enter" && (event.ctrlKey || event.metaKey) && !button;
      if (!button && !inEditor) return;
      if (held) {
        hold(event);
        return;
      }
      const compose = button ? composeFor(button) : editors().editorOf(event.target);
      if (!compose) return;
      const target = button || nearestSendButton(compose);
      const verdict = decide({ kind: "key", button: target, compose, event, released: Promise.resolve() });
      if (!verdict) return;
      hold(event);
      held = { button: target, release() {} };
      settle(verdict, () => {
        if (target) return replayPress(target);
        bypass = true;
        try {
          event.target.dispatchEvent(new view.KeyboardEvent("keydown", { key: "Enter", code: "Enter", ctrlKey: event.ctrlKey,
                                                                       metaKey: event.metaKey, bubbles: true, cancelable: true }));
        } finally {
          bypass = false;
        }
      });
    };

    // The Send button that belongs to this compose: the nearest one around it.
    function nearestSendButton(compose) {
      if (typeof sendButton === "function") return null;
      for (let node = compose.parentElement; node; node = node.parentElement) {
        const found = node.querySelector(sendButton);
        if (found) return found;
      }
      return null;
    }

    const submit = (event) => {
      if (bypass || !submitForms) return;
      const form = event.target;
      const compose = composeFor(event.submitter || form);
      const verdict = decide({ kind: "submit", button: null, form, compose, event, released: Promise.resolve() });
      if (!verdict) return;
      hold(event);
      const submitter = event.submitter && event.submitter.form === form ? event.submitter : null;
      settle(verdict, () => {
        bypass = true;
        try {
          if (typeof form.requestSubmit === "function") form.requestSubmit(submitter || undefined);
          else form.submit();
        } finally {
          bypass = false;
        }
      });
    };

    for (const type of POINTER) view.addEventListener(type, press, true);
    view.addEventListener("keydown", key, true);
    view.addEventListener("submit", submit, true);
    return () => {
      for (const type of POINTER) view.removeEventListener(type, press, true);
      view.removeEventListener("keydown", key, true);
      view.removeEventListener("submit", submit, true);
    };
  }

  // A mail site's adapter from what differs between sites: how to read the open message, which
  // elements are compose boxes, which is the Send button. The rest is the same everywhere.
  function siteAdapter({ name, matches, detect, readMessage, ownEmail, composeSelector, sendButton }) {
    const adapter = {
      name,
      matches,
      detect,
      readMessage,
      ownEmail,
      isCompose: (el) => !!(el && el.nodeType === 1 && el.matches(composeSelector)),
      findCompose(doc) {
        const boxes = [...doc.querySelectorAll(composeSelector)];
        return boxes.find((b) => b.contains(doc.activeElement)) || boxes[boxes.length - 1] || null;
      },
      composeFor: (el) => nearestEditor(el, composeSelector),
      onSend: (doc, decide) => watchSend(doc, { sendButton, composeFor: adapter.composeFor }, decide),
    };
    return adapter;
  }

  const TactRegistry = {
    watchSend,
    siteAdapter,
    nearestEditor,
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
