/* The check while typing: debounced, issues underlined in the editor (CSS highlights in
 * contenteditables, a mirror overlay in textareas) and listed in the panel's check view with
 * one-click fixes that edit the editor the check read, never another compose.
 * Puts ctx.check = { schedule(editor, delay), run(editor), applyFix(issue, text), blocking(result) }. */
(function (root) {
  "use strict";

  function setup(ctx) {
    const { doc } = ctx;
    const { TactText: T, TactEditors: E } = root;
    let timer = null;
    ctx.state.lastCheck = null; // {editor, text, result}

    function schedule(editor, delay = 800) {
      clearTimeout(timer);
      timer = setTimeout(() => run(editor), delay);
    }

    function underline(editor, issues) {
      const shown = issues.filter((i) => i.length > 0 && i.severity !== "info");
      if (T.isField(editor)) {
        ctx.panel.mark(editor, "issue", shown.map((i) => ({ offset: i.offset, length: i.length, rule: i.rule })));
        return;
      }
      ctx.highlight("tact-issue", shown.map((i) => T.rangeFor(editor, i.offset, i.length)).filter(Boolean));
    }

    // What the agent's profile says is theirs: never a spelling mistake.
    function ownWords() {
      const words = `${ctx.config.agentName || ""} ${ctx.config.agentSignature || ""} ${ctx.config.companyName || ""}`
        .split(/[^\p{L}\p{N}'’-]+/u).filter((w) => w.length > 1);
      return [...new Set(words)].slice(0, 200);
    }

    async function run(editor) {
      if (!editor || !editor.isConnected) return null;
      const strategy = E.forElement(editor);
      const text = strategy.read(editor) || "";
      if (!text.trim()) {
        ctx.panel.setCheck(null);
        underline(editor, []);
        return null;
      }
      const last = ctx.state.lastCheck;
      if (last && last.editor === editor && last.text === text) return last.result;
      const message = ctx.message();
      const body = { text };
      if (message && message.text) body.reply_to = `${message.senderEmail || ""}\n${message.text}`;
      const own = ownWords();
      if (own.length) body.ignore_words = own;
      if (ctx.config.agentSignature) body.signature = ctx.config.agentSignature.slice(0, 1000);
      // No language: the server detects it per draft, so a Russian draft gets Russian advice
      // whatever the agent's preferred language for suggestions.
      const result = await ctx.send("check", body);
      if (!result.ok) {
        ctx.panel.setStatus(ctx.explain(result), "error");
        return null;
      }
      if ((strategy.read(editor) || "") !== text) return result.data; // typed on meanwhile
      ctx.state.lastCheck = { editor, text, result: result.data };
      ctx.panel.anchorTo(editor);
      ctx.panel.setCheck(result.data);
      underline(editor, result.data.issues);
      return result.data;
    }

    function applyFix(issue, replacement) {
      const last = ctx.state.lastCheck;
      if (!last || !last.editor.isConnected) return;
      const strategy = E.forElement(last.editor);
      if (strategy.read(last.editor) !== last.text) return; // changed since: the offsets are stale
      strategy.replace(last.editor, issue.offset, issue.length, replacement);
      schedule(last.editor, 50);
    }

    function blocking(result) {
      return result ? result.issues.filter((i) => i.category === "privacy" && i.severity === "error") : [];
    }

    ctx.on(doc, "input", (event) => {
      const editor = ctx.editorFor(event.composedPath ? event.composedPath()[0] : event.target);
      if (editor) {
        ctx.highlight("tact-var", []);
        if (T.isField(editor)) ctx.panel.mark(editor, "var", []);
        schedule(editor);
      }
    }, true);

    ctx.check = { schedule, run, applyFix, blocking };
    return {
      destroy() {
        clearTimeout(timer);
        ctx.highlight("tact-issue", []);
      },
    };
  }

  root.TactLiveCheck = { setup };
  if (typeof module !== "undefined") module.exports = root.TactLiveCheck;
})(typeof globalThis !== "undefined" ? globalThis : this);
