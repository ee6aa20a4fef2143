/* Content module: setup() wires one adapter, the panel, shortcuts, the check and the send guard
 * into the page; destroy() takes all of it out again. Nothing here may break the mail page. */
(function (root) {
  "use strict";
  const ext = typeof browser !== "undefined" ? browser : chrome;
  const { TactRegistry, TactText, TactVariables, TactPanel } = root;
  const t = TactPanel.t;
  const SHORTCUT = /;;([\p{L}\p{N}_-]+)$/u;

  function send(type, data) {
    return new Promise((resolve) => {
      try {
        ext.runtime.sendMessage({ type, data }, (reply) => {
          if (ext.runtime.lastError || !reply) resolve({ ok: false, error: "unreachable" });
          else resolve(reply);
        });
      } catch (error) {
        resolve({ ok: false, error: "unreachable" }); // extension reloaded: stay quiet
      }
    });
  }

  function explain(result) {
    if (result.error === "not_configured") return t("notConfigured");
    if (result.error === "unauthorized") return t("badToken");
    if (result.error === "unreachable") return t("unreachable");
    return result.message || "Tact error";
  }

  function setup(adapter, config, doc = document) {
    const cleanups = [];
    const on = (target, type, fn, opts) => {
      target.addEventListener(type, fn, opts);
      cleanups.push(() => target.removeEventListener(type, fn, opts));
    };
    let current = null; // {suggestion_id, items, message, variables}
    let lastInserted = null;
    let lastCheck = null; // {text, result}
    let bypassSend = false;
    let checkTimer = null;
    const style = doc.createElement("style");
    style.textContent = "::highlight(tact-var){background:#ffe58a}::highlight(tact-issue){text-decoration:underline wavy #cf222e;text-decoration-skip-ink:none}";
    (doc.head || doc.documentElement).append(style);
    cleanups.push(() => style.remove());

    const panel = TactPanel.create(doc, {
      onSearch: (query) => suggest(query || null),
      onInsert: insert,
      onClose: (dismissed) => {
        if (dismissed && current && current.items.length && !current.inserted) {
          send("feedback", { suggestion_id: current.suggestion_id, template_id: current.items[0].template_id, action: "dismissed" });
        }
      },
      onApply: applyFix,
    });
    cleanups.push(() => panel.destroy());

    function highlight(name, ranges) {
      if (!root.CSS || !CSS.highlights || typeof Highlight === "undefined") return;
      if (ranges.length) CSS.highlights.set(name, new Highlight(...ranges));
      else CSS.highlights.delete(name);
    }

    async function suggest(query) {
      const message = adapter.readMessage(doc, { ownEmail: config.agentEmail }) || null;
      const text = query || (message && message.text);
      if (!text) {
        panel.setItems([]);
        panel.setStatus(t("noMessage"));
        return;
      }
      const variables = TactVariables.buildVariables(message, config);
      panel.setStatus("");
      const body = { message: text, k: 5, variables };
      if (!query && message.subject) body.subject = message.subject;
      if (config.language) body.language = config.language;
      const result = await send("suggest", body);
      if (!result.ok) {
        panel.setItems([]);
        panel.setStatus(explain(result), "error");
        return;
      }
      current = { ...result.data, items: result.data.suggestions, message, variables, inserted: false };
      panel.setItems(current.items);
      if (result.data.no_match) panel.setStatus(t("noMatch"));
      for (const item of current.items) {
        send("feedback", { suggestion_id: current.suggestion_id, template_id: item.template_id, action: "shown" });
      }
    }

    function insert(item) {
      const compose = adapter.findCompose(doc);
      if (!compose) {
        panel.setStatus(t("noCompose"));
        return;
      }
      adapter.insertText(compose, item.text);
      if (current) {
        current.inserted = true;
        lastInserted = { suggestion_id: current.suggestion_id, template_id: item.template_id, text: item.text };
        send("feedback", { suggestion_id: current.suggestion_id, template_id: item.template_id, action: "inserted" });
      }
      panel.close(false);
      markVariables(compose, item.missing_variables);
      scheduleCheck(compose, 50);
    }

    // Unfilled variables: highlighted, and the caret selects the first so the agent types over it.
    function markVariables(compose, names) {
      const text = adapter.readDraft(compose) || "";
      const markers = TactVariables.findMarkers(text, names);
      const ranges = TactText.isField(compose) ? [] : markers.map((m) => TactText.rangeFor(compose, m.offset, m.length)).filter(Boolean);
      highlight("tact-var", ranges);
      if (!markers.length) return;
      compose.focus();
      if (TactText.isField(compose)) compose.setSelectionRange(markers[0].offset, markers[0].offset + markers[0].length);
      else if (ranges[0]) TactText.select(compose, ranges[0]);
      compose.dataset.tactUnfilled = markers.map((m) => m.name).join(",");
    }

    async function expandShortcut(compose, typed, name) {
      const list = await send("templates");
      if (!list.ok) {
        panel.setStatus(explain(list), "error");
        return;
      }
      const wanted = name.toLowerCase();
      const matches = list.data.filter((tpl) => (tpl.shortcut || "").toLowerCase() === wanted);
      const template = matches.find((tpl) => tpl.team_id !== null) || matches.find((tpl) => !config.language || tpl.language === config.language) || matches[0];
      if (!template) return;
      const message = adapter.readMessage(doc, { ownEmail: config.agentEmail });
      const rendered = await send("render", { template_id: template.id, variables: TactVariables.buildVariables(message, config) });
      if (!rendered.ok) {
        panel.setStatus(explain(rendered), "error");
        return;
      }
      TactText.deleteBeforeCaret(compose, typed.length);
      adapter.insertText(compose, rendered.data.text);
      markVariables(compose, rendered.data.missing_variables);
      scheduleCheck(compose, 50);
    }

    function scheduleCheck(compose, delay = 800) {
      clearTimeout(checkTimer);
      checkTimer = setTimeout(() => runCheck(compose), delay);
    }

    async function runCheck(compose) {
      const text = adapter.readDraft(compose) || "";
      if (!text.trim()) {
        panel.setCheck(null);
        highlight("tact-issue", []);
        return null;
      }
      if (lastCheck && lastCheck.text === text) return lastCheck.result;
      const message = adapter.readMessage(doc, { ownEmail: config.agentEmail });
      const body = { text };
      if (message && message.text) body.reply_to = `${message.senderEmail || ""}\n${message.text}`;
      if (config.language) body.language = config.language;
      const result = await send("check", body);
      if (!result.ok) {
        panel.setStatus(explain(result), "error");
        return null;
      }
      if ((adapter.readDraft(compose) || "") !== text) return result.data; // typed on meanwhile
      lastCheck = { text, result: result.data };
      panel.setCheck(result.data);
      const ranges = TactText.isField(compose) ? [] : result.data.issues
        .filter((i) => i.length > 0 && i.severity !== "info")
        .map((i) => TactText.rangeFor(compose, i.offset, i.length)).filter(Boolean);
      highlight("tact-issue", ranges);
      return result.data;
    }

    function applyFix(issue, replacement) {
      const compose = adapter.findCompose(doc);
      if (!compose || !lastCheck) return;
      if (TactText.replaceRange(compose, issue.offset, issue.length, replacement)) scheduleCheck(compose, 50);
    }

    // Keyboard: Ctrl+Shift+Space opens the panel; ";;shortcut" then Tab expands in a compose box.
    on(doc, "keydown", (event) => {
      if (event.ctrlKey && event.shiftKey && (event.code === "Space" || event.key === " ")) {
        event.preventDefault();
        panel.open();
        suggest(null);
        return;
      }
      if (event.key === "Tab" && !event.shiftKey) {
        const compose = adapter.findCompose(doc);
        if (!compose || !compose.contains(event.target)) return;
        const match = SHORTCUT.exec(TactText.textBeforeCaret(compose));
        if (!match) return;
        event.preventDefault();
        event.stopPropagation();
        expandShortcut(compose, match[0], match[1]);
      }
    }, true);

    on(doc, "input", (event) => {
      const compose = adapter.findCompose(doc);
      if (compose && compose.contains(event.target)) {
        highlight("tact-var", []);
        scheduleCheck(compose);
      }
    }, true);

    const onMessage = (message) => {
      if (message && message.type === "open-panel") {
        panel.open();
        suggest(null);
      }
    };
    ext.runtime.onMessage.addListener(onMessage);
    cleanups.push(() => ext.runtime.onMessage.removeListener(onMessage));

    // Before sending: a privacy error (card number, secret) needs the agent's confirmation.
    cleanups.push(adapter.onSend(doc, ({ event, button, compose }) => {
      if (bypassSend || !compose) {
        bypassSend = false;
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      (async () => {
        const draft = adapter.readDraft(compose) || "";
        const result = await runCheck(compose);
        const blocking = result ? result.issues.filter((i) => i.category === "privacy" && i.severity === "error") : [];
        if (blocking.length && !(await panel.confirm(blocking))) return;
        if (lastInserted) {
          send("feedback", { suggestion_id: lastInserted.suggestion_id, template_id: lastInserted.template_id, action: "sent",
                             edit_ratio: Number(TactVariables.editRatio(lastInserted.text, draft).toFixed(4)) });
          lastInserted = null;
        }
        bypassSend = true;
        if (button) button.click();
        else bypassSend = false;
      })();
    }));

    send("templates"); // warm the shortcut list
    return {
      panel,
      destroy() {
        clearTimeout(checkTimer);
        highlight("tact-var", []);
        highlight("tact-issue", []);
        while (cleanups.length) {
          try {
            cleanups.pop()();
          } catch (error) {
            /* keep tearing down */
          }
        }
      },
    };
  }

  async function start() {
    if (root.__tact) return;
    const config = await send("config");
    const settings = config.ok ? config.data : {};
    const adapter = TactRegistry.forUrl(location.href, { genericEnabled: (settings.sites || []).includes(location.origin) });
    if (!adapter) return;
    root.__tact = setup(adapter, settings);
    document.documentElement.dataset.tactAdapter = adapter.name;
    addEventListener("pagehide", () => {
      if (root.__tact) root.__tact.destroy();
      root.__tact = null;
    });
  }

  root.TactMain = { setup, start };
  if (typeof module !== "undefined") module.exports = root.TactMain;
  else start();
})(typeof globalThis !== "undefined" ? globalThis : this);
