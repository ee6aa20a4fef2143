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
    .panel { position: fixed; top: 72px; left: 16px; width: 360px; max-height: 70vh; display: flex; flex-direction: column; box-sizing: border-box;
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
    .closest { margin: 4px 12px 0; font-size: 12px; font-weight: 600; color: #57606a; text-transform: uppercase; letter-spacing: .04em; }
    .suggestions.unsure .score { color: #9a6700; }
    .badge { position: fixed; top: 0; left: 0; padding: 6px 11px; border-radius: 999px; color: #fff; background: #57606a;
      font: 600 12px/1.3 system-ui, sans-serif; z-index: 2147483646; cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.2); }
    .badge.polite { background: #1a7f37; } .badge.neutral { background: #57606a; } .badge.rude { background: #cf222e; }
    .tabs { display: flex; gap: 2px; padding: 6px 10px 0; border-bottom: 1px solid #d0d7de; }
    .tabs button { border: 0; background: none; padding: 6px 10px; font: inherit; cursor: pointer; color: #57606a; border-bottom: 2px solid transparent; }
    .tabs button[aria-selected="true"] { color: #1f2328; border-bottom-color: #fd8c73; font-weight: 600; }
    .view[hidden] { display: none; }
    .view { display: flex; flex-direction: column; min-height: 0; overflow: auto; }
    .issues { overflow: auto; padding: 6px 10px; }
    .clean { padding: 10px 12px; color: #1a7f37; }
    .clean[hidden] { display: none; }
    .mirror { position: fixed; pointer-events: none; overflow: hidden; color: transparent; z-index: 2147483645; box-sizing: border-box;
      white-space: pre-wrap; overflow-wrap: break-word; border-style: solid; border-color: transparent; background: transparent; }
    .mirror .issue-mark { text-decoration: underline wavy #cf222e; text-decoration-skip-ink: none; }
    .mirror .var-mark { background: rgba(255, 229, 138, .6); }
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

  const GAP = 8;
  const MIN_WIDTH = 260;

  // Where the panel goes so that it never covers the editor the agent is in: beside it (right,
  // then left), else below or above it, shrunk to the room there is; the largest room wins when
  // none is wide enough.
  function placement(rect, view, wanted = { width: 360, height: 480 }) {
    const room = {
      right: { w: view.width - rect.right - 2 * GAP, h: view.height - 2 * GAP },
      left: { w: rect.left - 2 * GAP, h: view.height - 2 * GAP },
      below: { w: view.width - 2 * GAP, h: view.height - rect.bottom - 2 * GAP },
      above: { w: view.width - 2 * GAP, h: rect.top - 2 * GAP },
    };
    const fits = (side) => room[side].w >= MIN_WIDTH && room[side].h >= 160;
    const order = ["right", "left", "below", "above"];
    const side = order.find(fits) || order.reduce((a, b) => (room[b].w * room[b].h > room[a].w * room[a].h ? b : a));
    const width = Math.max(0, Math.min(wanted.width, room[side].w));
    const height = Math.max(0, Math.min(wanted.height, room[side].h));
    const clamp = (v, lo, hi) => Math.max(lo, Math.min(v, hi));
    if (side === "right" || side === "left") {
      const left = side === "right" ? rect.right + GAP : rect.left - GAP - width;
      return { side, left, top: clamp(rect.top, GAP, view.height - GAP - height), width, maxHeight: height };
    }
    const top = side === "below" ? rect.bottom + GAP : rect.top - GAP - height;
    return { side, left: clamp(rect.left, GAP, view.width - GAP - width), top, width, maxHeight: height };
  }

  function create(doc, { onSearch, onInsert, onClose, onApply }) {
    const win = doc.defaultView;
    const host = el(doc, "div", { id: "tact-root" });
    const shadow = host.attachShadow({ mode: "open" });
    shadow.append(el(doc, "style", { textContent: STYLE }));
    const search = el(doc, "input", { type: "search", placeholder: t("searchPlaceholder", "Search replies…"), className: "search" });
    const list = el(doc, "ul", { className: "suggestions" });
    list.setAttribute("role", "listbox");
    // Shown above the list when the server is not sure of its first reply: these are the closest
    // replies, not an answer, and nothing is preselected for Enter.
    const closest = el(doc, "div", { className: "closest", hidden: true, textContent: t("closestReplies", "Closest replies") });
    const status = el(doc, "div", { className: "status" });
    const issues = el(doc, "div", { className: "issues" });
    const clean = el(doc, "div", { className: "clean", hidden: true, textContent: t("noIssues", "No issues found in this draft.") });
    const tabs = {
      replies: el(doc, "button", { textContent: t("tabReplies", "Replies"), className: "tab-replies" }),
      check: el(doc, "button", { textContent: t("tabCheck", "Check"), className: "tab-check" }),
    };
    const views = {
      replies: el(doc, "div", { className: "view view-replies" }, [search, status, closest, list]),
      check: el(doc, "div", { className: "view view-check", hidden: true }, [clean, issues]),
    };
    const tabBar = el(doc, "div", { className: "tabs" }, [tabs.replies, tabs.check]);
    tabBar.setAttribute("role", "tablist");
    const panel = el(doc, "section", { className: "panel", hidden: true }, [
      el(doc, "header", {}, [t("panelTitle", "Tact suggestions"), el(doc, "span", { className: "hint", textContent: "↑↓ Enter Esc" })]),
      tabBar, views.replies, views.check,
    ]);
    panel.setAttribute("role", "dialog");
    const badge = el(doc, "div", { className: "badge", hidden: true });
    const dialog = el(doc, "div", { className: "dialog", hidden: true });
    const mirrors = el(doc, "div", { className: "mirrors" });
    shadow.append(mirrors, panel, badge, dialog);
    (doc.body || doc.documentElement).append(host);

    let items = [];
    let selected = 0;
    let timer = null;
    let anchor = null; // the editor the panel and the badge keep clear of
    let view = "replies";

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

    function show(name) {
      view = name;
      for (const key of Object.keys(views)) {
        views[key].hidden = key !== name;
        tabs[key].setAttribute("aria-selected", String(key === name));
      }
      panel.dataset.view = name;
    }
    tabs.replies.addEventListener("click", () => show("replies"));
    tabs.check.addEventListener("click", () => show("check"));
    for (const tab of Object.values(tabs)) tab.setAttribute("role", "tab");

    function viewport() {
      return { width: win.innerWidth, height: win.innerHeight };
    }

    function place() {
      if (panel.hidden) return;
      const rect = anchor && anchor.isConnected ? anchor.getBoundingClientRect() : { left: 0, right: 0, top: 0, bottom: 0, width: 0, height: 0 };
      const at = placement(rect, viewport());
      Object.assign(panel.style, { left: `${at.left}px`, top: `${at.top}px`, width: `${at.width}px`, maxHeight: `${at.maxHeight}px`, right: "auto", bottom: "auto" });
      panel.dataset.side = at.side;
    }

    // The badge sits just outside the editor, beside its bottom-right corner (to the right, else
    // to the left, else above it): never over the text, never over the Send button below it.
    function placeBadge() {
      if (badge.hidden) return;
      const size = { w: badge.offsetWidth || 120, h: badge.offsetHeight || 26 };
      const { width, height } = viewport();
      let left = width - size.w - 18;
      let top = height - size.h - 18;
      if (anchor && anchor.isConnected) {
        const r = anchor.getBoundingClientRect();
        const bottom = Math.max(GAP, Math.min(r.bottom - size.h, height - size.h - GAP));
        if (width - r.right >= size.w + 2 * GAP) [left, top] = [r.right + GAP, bottom];
        else if (r.left >= size.w + 2 * GAP) [left, top] = [r.left - GAP - size.w, bottom];
        else if (r.top >= size.h + 2 * GAP) [left, top] = [Math.max(GAP, r.right - size.w), r.top - size.h - 4];
        else if (height - r.bottom >= size.h + 2 * GAP) [left, top] = [Math.max(GAP, r.right - size.w), r.bottom + 4];
      }
      Object.assign(badge.style, { left: `${left}px`, top: `${top}px` });
    }

    let frame = 0;
    const reflow = () => {
      if (frame) return;
      frame = win.requestAnimationFrame(() => {
        frame = 0;
        place();
        placeBadge();
        for (const mirror of mirrorList) mirror.sync();
      });
    };
    win.addEventListener("scroll", reflow, true);
    win.addEventListener("resize", reflow);
    doc.addEventListener("input", reflow, true);

    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => onSearch(search.value.trim()), 250);
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!items.length || view !== "replies") return;
        if (selected < 0) selected = event.key === "ArrowDown" ? 0 : items.length - 1;
        else selected = (selected + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        render();
        event.preventDefault();
      } else if (event.key === "Enter" && event.target.tagName !== "BUTTON") {
        if (items[selected]) onInsert(items[selected]);
        event.preventDefault();
      } else if (event.key === "Escape") {
        api.close(true);
        event.preventDefault();
      }
      event.stopPropagation(); // the mail site's own shortcuts stay out of the panel
    });
    badge.addEventListener("click", () => (panel.hidden || view !== "check" ? api.open(anchor, "check") : api.close(false)));

    /* Underlines in a plain <textarea>, which cannot carry highlights: a mirror of it (same box,
     * font, padding and scroll) with transparent text, laid over it, whose marked spans show. */
    const mirrorList = [];
    function mirrorFor(field) {
      let mirror = mirrorList.find((m) => m.field === field);
      if (mirror) return mirror;
      const box = el(doc, "div", { className: "mirror" });
      const inner = el(doc, "div", {});
      box.append(inner);
      mirrors.append(box);
      let spans = [];
      mirror = {
        field,
        box,
        set(next) {
          spans = next;
          this.sync();
        },
        sync() {
          if (!field.isConnected || !spans.length) {
            box.hidden = true;
            return;
          }
          box.hidden = false;
          const css = win.getComputedStyle(field);
          const r = field.getBoundingClientRect();
          for (const prop of ["fontFamily", "fontSize", "fontWeight", "fontStyle", "letterSpacing", "lineHeight", "textAlign", "textTransform",
            "wordSpacing", "textIndent", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft", "borderTopWidth", "borderRightWidth",
            "borderBottomWidth", "borderLeftWidth", "tabSize", "direction"]) box.style[prop] = css[prop];
          Object.assign(box.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
          inner.style.transform = `translate(${-field.scrollLeft}px, ${-field.scrollTop}px)`;
          const value = field.value;
          const parts = [];
          // overlapping marks (a sentence's tone issue around a word's spelling one): cut the text
          // at every boundary and give each piece the marks that cover it
          const valid = spans.filter((sp) => sp.length > 0 && sp.offset + sp.length <= value.length);
          const cuts = [...new Set([0, value.length, ...valid.flatMap((sp) => [sp.offset, sp.offset + sp.length])])].sort((a, b) => a - b);
          let at = 0;
          for (let i = 0; i < cuts.length - 1; i++) {
            const [from, to] = [cuts[i], cuts[i + 1]];
            const covering = valid.filter((sp) => sp.offset <= from && to <= sp.offset + sp.length);
            if (!covering.length) continue;
            parts.push(doc.createTextNode(value.slice(at, from)));
            const kinds = [...new Set(covering.map((sp) => `${sp.kind}-mark`))];
            const mark = el(doc, "span", { className: kinds.join(" "), textContent: value.slice(from, to) });
            const rules = covering.map((sp) => sp.rule).filter(Boolean);
            if (rules.length) mark.dataset.rule = rules.join(" ");
            parts.push(mark);
            at = to;
          }
          parts.push(doc.createTextNode(value.slice(at) + "\u200b"));
          inner.replaceChildren(...parts);
        },
      };
      field.addEventListener("scroll", () => mirror.sync());
      mirrorList.push(mirror);
      return mirror;
    }

    const api = {
      host,
      // Open beside the editor the agent is in (never over it), on the replies or the check view.
      open(editor = anchor, name = "replies") {
        anchor = editor || anchor;
        show(name);
        panel.hidden = false;
        place();
        placeBadge();
        if (name === "replies") search.focus({ preventScroll: true });
        else tabs.check.focus({ preventScroll: true });
      },
      anchorTo(editor) {
        if (!editor) return;
        anchor = editor;
        place();
        placeBadge();
      },
      close(dismissed) {
        if (panel.hidden) return;
        panel.hidden = true;
        onClose(dismissed);
      },
      isOpen: () => !panel.hidden,
      view: () => view,
      // ``unsure``: the server's confidence is low (or nothing fits): the items are listed as the
      // closest replies, none preselected, and the search box has the focus.
      setItems(next, { unsure = false } = {}) {
        items = next || [];
        selected = unsure ? -1 : 0;
        closest.hidden = !(unsure && items.length);
        list.classList.toggle("unsure", Boolean(unsure));
        panel.dataset.confidence = unsure ? "low" : "high";
        render();
        if (unsure && !panel.hidden && view === "replies") search.focus({ preventScroll: true });
      },
      setQuery(text) {
        search.value = text || "";
      },
      focusSearch() {
        search.focus({ preventScroll: true });
      },
      setStatus(text, kind = "info") {
        status.textContent = text || "";
        status.className = `status ${kind}`;
      },
      // Marks in a textarea (spans of {offset, length, kind: "issue"|"var", rule}); [] clears them.
      mark(field, kind, spans) {
        const mirror = mirrorFor(field);
        const keep = (mirror.spans || []).filter((s) => s.kind !== kind);
        mirror.spans = [...keep, ...spans.map((s) => ({ ...s, kind }))];
        mirror.set(mirror.spans);
      },
      setCheck(result) {
        if (!result) {
          badge.hidden = true;
          issues.replaceChildren();
          clean.hidden = true;
          return;
        }
        const label = result.tone.label;
        const count = result.issues.filter((i) => i.severity !== "info").length;
        badge.className = `badge ${label}`;
        badge.textContent = `${t(`tone_${label}`, `Tone: ${label}`)}${count ? ` · ${count}` : ""}`;
        badge.dataset.tone = label;
        badge.hidden = false;
        placeBadge();
        const rows = result.issues.filter((i) => i.severity !== "info" || i.category === "tone").map((issue) => {
          const row = el(doc, "div", { className: `issue ${issue.severity}` }, [
            el(doc, "span", { className: "cat", textContent: issue.category }), issue.message]);
          row.dataset.rule = issue.rule;
          for (const replacement of (issue.replacements || []).slice(0, 3)) {
            const button = el(doc, "button", { textContent: replacement || "∅" });
            button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the agent's caret
            button.addEventListener("click", () => onApply(issue, replacement));
            row.append(el(doc, "br"), button);
          }
          return row;
        });
        if (!result.grammar_available) rows.unshift(el(doc, "div", { className: "issue", textContent: t("grammarOff") }));
        issues.replaceChildren(...rows);
        clean.hidden = rows.length > 0;
        tabs.check.textContent = `${t("tabCheck", "Check")}${count ? ` (${count})` : ""}`;
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
        win.removeEventListener("scroll", reflow, true);
        win.removeEventListener("resize", reflow);
        doc.removeEventListener("input", reflow, true);
        host.remove();
      },
    };
    return api;
  }

  const TactPanel = { create, t, placement };
  root.TactPanel = TactPanel;
  if (typeof module !== "undefined") module.exports = TactPanel;
})(typeof globalThis !== "undefined" ? globalThis : this);
