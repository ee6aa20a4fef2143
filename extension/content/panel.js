/* The in-page panel (a shadow root, so the mail site's CSS and ours never mix): suggestions with
 * a search box, keyboard-first; the check badge with issues and one-click fixes; the confirm
 * dialog before sending confidential data. */
(function (root) {
  "use strict";
  const t = (key, fallback) => {
    try {
      return (root.chrome && chrome.i18n && chrome.i18n.getMessage(key)) || fallback || key;
    } catch (error) {
      return fallback || key;
    }
  };

  const STYLE = `
    :host { all: initial; }
    .panel { position: fixed; top: 72px; right: 16px; width: 360px; max-height: 70vh; display: flex; flex-direction: column;
      background: #fff; color: #1f2328; border: 1px solid #d0d7de; border-radius: 10px; box-shadow: 0 8px 28px rgba(0,0,0,.18);
      font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; z-index: 2147483646; overflow: hidden; }
    .panel[hidden], .badge[hidden], .dialog[hidden] { display: none; }
    header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #f6f8fa; border-bottom: 1px solid #d0d7de; font-weight: 600; }
    header .hint { margin-left: auto; font-weight: 400; color: #57606a; font-size: 11px; }
    input { margin: 10px 12px 6px; padding: 7px 9px; border: 1px solid #d0d7de; border-radius: 6px; font: inherit; }
    ul { list-style: none; margin: 0; padding: 4px 6px 8px; overflow: auto; }
    li { padding: 8px 9px; border-radius: 7px; cursor: pointer; }
    li[aria-selected="true"] { background: #ddf4ff; outline: 1px solid #54aeff; }
    .title { display: flex; justify-content: space-between; gap: 8px; font-weight: 600; }
    .score { color: #1a7f37; font-weight: 500; font-size: 12px; }
    .preview { color: #57606a; margin-top: 3px; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
    .status { margin: 6px 12px 10px; padding: 8px 10px; border-radius: 6px; background: #fff8c5; color: #4d2d00; }
    .status.error { background: #ffebe9; color: #82071e; }
    .status:empty { display: none; }
    .badge { position: fixed; bottom: 18px; right: 18px; padding: 6px 11px; border-radius: 999px; color: #fff; background: #57606a;
      font: 600 12px/1.3 system-ui, sans-serif; z-index: 2147483646; cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.2); }
    .badge.polite { background: #1a7f37; } .badge.neutral { background: #57606a; } .badge.rude { background: #cf222e; }
    .issues { border-top: 1px solid #d0d7de; max-height: 30vh; overflow: auto; padding: 6px 10px; }
    .issues:empty { display: none; }
    .issue { padding: 6px 0; border-bottom: 1px dashed #eaeef2; }
    .issue .cat { font-size: 11px; text-transform: uppercase; color: #57606a; margin-right: 4px; }
    .issue.error .cat { color: #cf222e; }
    .issue button { margin: 4px 4px 0 0; padding: 2px 8px; border: 1px solid #54aeff; background: #ddf4ff; border-radius: 5px; cursor: pointer; font: inherit; }
    .dialog { position: fixed; inset: 0; background: rgba(0,0,0,.35); display: flex; align-items: center; justify-content: center; z-index: 2147483647; }
    .dialog .box { background: #fff; border-radius: 10px; padding: 16px 18px; width: 380px; font: 13px/1.45 system-ui, sans-serif; color: #1f2328; }
    .dialog .box ul { padding-left: 18px; list-style: disc; }
    .dialog .actions { display: flex; gap: 8px; justify-content: flex-end; margin-top: 12px; }
    .dialog button { padding: 6px 12px; border-radius: 6px; border: 1px solid #d0d7de; background: #f6f8fa; cursor: pointer; font: inherit; }
    .dialog button.danger { background: #cf222e; color: #fff; border-color: #cf222e; }
  `;

  function el(doc, tag, props = {}, children = []) {
    const node = doc.createElement(tag);
    Object.assign(node, props);
    for (const child of children) node.append(child);
    return node;
  }

  function create(doc, { onSearch, onInsert, onClose, onApply }) {
    const host = el(doc, "div", { id: "tact-root" });
    const shadow = host.attachShadow({ mode: "open" });
    shadow.append(el(doc, "style", { textContent: STYLE }));
    const search = el(doc, "input", { type: "search", placeholder: t("searchPlaceholder", "Search replies…"), className: "search" });
    const list = el(doc, "ul", { className: "suggestions" });
    list.setAttribute("role", "listbox");
    const status = el(doc, "div", { className: "status" });
    const issues = el(doc, "div", { className: "issues" });
    const panel = el(doc, "section", { className: "panel", hidden: true }, [
      el(doc, "header", {}, [t("panelTitle", "Tact suggestions"), el(doc, "span", { className: "hint", textContent: "↑↓ Enter Esc" })]),
      search, status, list, issues,
    ]);
    panel.setAttribute("role", "dialog");
    const badge = el(doc, "div", { className: "badge", hidden: true });
    const dialog = el(doc, "div", { className: "dialog", hidden: true });
    shadow.append(panel, badge, dialog);
    (doc.body || doc.documentElement).append(host);

    let items = [];
    let selected = 0;
    let timer = null;

    function render() {
      list.replaceChildren(...items.map((item, i) => {
        const li = el(doc, "li", {}, [
          el(doc, "div", { className: "title" }, [el(doc, "span", { textContent: item.title }),
            el(doc, "span", { className: "score", textContent: `${Math.round(Math.max(0, Math.min(1, item.score)) * 100)}%` })]),
          el(doc, "div", { className: "preview", textContent: item.text }),
        ]);
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", String(i === selected));
        li.dataset.templateId = item.template_id;
        li.addEventListener("mousedown", (event) => { event.preventDefault(); onInsert(items[i]); });
        return li;
      }));
    }

    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => onSearch(search.value.trim()), 250);
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!items.length) return;
        selected = (selected + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        render();
        event.preventDefault();
      } else if (event.key === "Enter") {
        if (items[selected]) onInsert(items[selected]);
        event.preventDefault();
      } else if (event.key === "Escape") {
        api.close(true);
        event.preventDefault();
      }
      event.stopPropagation(); // the mail site's own shortcuts stay out of the panel
    });
    badge.addEventListener("click", () => (panel.hidden ? api.open() : api.close(false)));

    const api = {
      host,
      open() {
        panel.hidden = false;
        search.focus();
      },
      close(dismissed) {
        if (panel.hidden) return;
        panel.hidden = true;
        onClose(dismissed);
      },
      isOpen: () => !panel.hidden,
      setItems(next) {
        items = next || [];
        selected = 0;
        render();
      },
      setStatus(text, kind = "info") {
        status.textContent = text || "";
        status.className = `status ${kind}`;
      },
      setCheck(result) {
        if (!result) {
          badge.hidden = true;
          issues.replaceChildren();
          return;
        }
        const label = result.tone.label;
        const count = result.issues.filter((i) => i.severity !== "info").length;
        badge.className = `badge ${label}`;
        badge.textContent = `${t(`tone_${label}`, `Tone: ${label}`)}${count ? ` · ${count}` : ""}`;
        badge.dataset.tone = label;
        badge.hidden = false;
        const rows = result.issues.filter((i) => i.severity !== "info" || i.category === "tone").map((issue) => {
          const row = el(doc, "div", { className: `issue ${issue.severity}` }, [
            el(doc, "span", { className: "cat", textContent: issue.category }), issue.message]);
          row.dataset.rule = issue.rule;
          for (const replacement of (issue.replacements || []).slice(0, 3)) {
            const button = el(doc, "button", { textContent: replacement || "∅" });
            button.addEventListener("click", () => onApply(issue, replacement));
            row.append(el(doc, "br"), button);
          }
          return row;
        });
        if (!result.grammar_available) rows.unshift(el(doc, "div", { className: "issue", textContent: t("grammarOff") }));
        issues.replaceChildren(...rows);
      },
      confirm(findings) {
        return new Promise((resolve) => {
          const yes = el(doc, "button", { className: "danger", textContent: t("sendAnyway", "Send anyway") });
          const no = el(doc, "button", { textContent: t("cancel", "Cancel") });
          const done = (value) => { dialog.hidden = true; dialog.replaceChildren(); resolve(value); };
          yes.addEventListener("click", () => done(true));
          no.addEventListener("click", () => done(false));
          dialog.replaceChildren(el(doc, "div", { className: "box" }, [
            el(doc, "strong", { textContent: t("confirmSend", "This draft contains confidential data:") }),
            el(doc, "ul", {}, findings.map((f) => el(doc, "li", { textContent: f.message }))),
            el(doc, "div", { className: "actions" }, [no, yes]),
          ]));
          dialog.hidden = false;
          no.focus();
        });
      },
      destroy() {
        host.remove();
      },
    };
    return api;
  }

  const TactPanel = { create, t };
  root.TactPanel = TactPanel;
  if (typeof module !== "undefined") module.exports = TactPanel;
})(typeof globalThis !== "undefined" ? globalThis : this);
