/* Insertion strategies, one per kind of editor, behind one interface (Briskine keeps them apart
 * the same way). An agent's editor is one of:
 *   field — <textarea> / <input>: value, selectionStart/End, setRangeText;
 *   plain — a contenteditable the page leaves to the browser (Gmail, Outlook): execCommand so the
 *           site's undo and its own listeners see a normal edit;
 *   rich  — a contenteditable owned by a framework (ProseMirror, Quill, Draft.js, Slate, CKEditor,
 *           Lexical, TinyMCE): never touch its DOM, go through a paste event (which they all handle)
 *           or execCommand, else the framework reverts the change on its next render.
 * Every strategy works in linear text offsets (UTF-16, what /check returns), so a caret saved when
 * the panel opens survives the panel taking focus and can be put back before inserting. */
(function (root) {
  "use strict";
  const T = root.TactText || (typeof require !== "undefined" && require("./text.js"));
  const RICH = ".ProseMirror, .ql-editor, [data-slate-editor], .DraftEditor-root, .public-DraftEditor-content, "
    + ".ck-editor__editable, [data-lexical-editor], .mce-content-body, .fr-element, .redactor-in, .trix-content";

  function isEditable(el) {
    return !!el && el.nodeType === 1 && (T.isField(el) || (el.isContentEditable && el.getAttribute("contenteditable") !== "false"));
  }

  // The editing host: the outermost contenteditable around a node (a caret inside a nested <div>
  // of Gmail's body belongs to the body, not to that div).
  function editorOf(node) {
    let el = node && (node.nodeType === 1 ? node : node.parentElement);
    if (!el) return null;
    if (T.isField(el)) return el;
    let host = null;
    while (el && el.isContentEditable) {
      host = el;
      el = el.parentElement;
    }
    return host;
  }

  function fire(el, type) {
    el.dispatchEvent(new el.ownerDocument.defaultView.Event(type, { bubbles: true }));
  }

  const field = {
    kind: "field",
    read: (el) => el.value,
    caret: (el) => ({ start: el.selectionStart ?? el.value.length, end: el.selectionEnd ?? el.value.length }),
    restore(el, caret) {
      el.focus({ preventScroll: true });
      if (caret) el.setSelectionRange(caret.start, caret.end);
    },
    insert(el, text, caret) {
      const at = caret || field.caret(el);
      el.focus({ preventScroll: true });
      el.setSelectionRange(at.start, at.end);
      // execCommand keeps the page's undo stack where the browser allows it on fields (Chromium does)
      const doc = el.ownerDocument;
      const ok = typeof doc.execCommand === "function" && doc.execCommand("insertText", false, text) && el.value.slice(at.start, at.start + text.length) === text;
      if (!ok) {
        el.setRangeText(text, at.start, at.end, "end");
        fire(el, "input");
      }
      return { start: at.start, end: at.start + text.length };
    },
    replace(el, offset, length, text) {
      return field.insert(el, text, { start: offset, end: offset + length });
    },
  };

  function selectionIn(el) {
    const sel = el.ownerDocument.getSelection();
    if (!sel || !sel.rangeCount) return null;
    const range = sel.getRangeAt(0);
    return el.contains(range.startContainer) && el.contains(range.endContainer) ? range : null;
  }

  // Quoted history that mail sites keep inside the reply editor (Outlook's #appendonsend and
  // #divRplyFwdMsg, Gmail's .gmail_quote, Apple/Thunderbird cite blockquotes): the agent's draft is
  // the text before it. Offsets stay valid: the draft is a prefix of the editor's text.
  const QUOTED = '#appendonsend, [id$="divRplyFwdMsg"], .gmail_quote, blockquote[type="cite"]';

  function ownText(el) {
    const marker = el.querySelector(QUOTED);
    if (!marker) return T.readText(el);
    const cut = T.offsetOf(el, marker.parentNode, [...marker.parentNode.childNodes].indexOf(marker));
    return T.readText(el).slice(0, cut === null ? undefined : cut).trimEnd();
  }

  const plain = {
    kind: "plain",
    read: ownText,
    caret(el) {
      const range = selectionIn(el);
      if (!range) return null;
      const start = T.offsetOf(el, range.startContainer, range.startOffset);
      const end = range.collapsed ? start : T.offsetOf(el, range.endContainer, range.endOffset);
      return start === null || end === null ? null : { start, end };
    },
    // Put the caret back where the agent left it; with nothing saved, the end of the draft
    // (never its start: a reply pasted in front of "Hi Tom," is the bug this exists for).
    restore(el, caret) {
      el.focus({ preventScroll: true });
      const doc = el.ownerDocument;
      let range = caret ? T.rangeFor(el, caret.start, caret.end - caret.start) : null;
      if (!range) {
        if (selectionIn(el)) return;
        const end = ownText(el).length; // the end of the agent's own text, above any quoted history
        range = T.rangeFor(el, end, 0);
        if (!range || !el.querySelector(QUOTED)) {
          range = doc.createRange();
          range.selectNodeContents(el);
          range.collapse(false);
        }
      }
      T.select(el, range);
    },
    insert(el, text, caret) {
      this.restore(el, caret);
      const before = this.caret(el);
      this.type(el, text);
      const start = before ? before.start : 0;
      return { start, end: start + text.length };
    },
    type(el, text) {
      const doc = el.ownerDocument;
      if (typeof doc.execCommand === "function" && doc.execCommand("insertText", false, text)) return;
      const range = doc.getSelection().getRangeAt(0);
      range.deleteContents();
      const frag = doc.createDocumentFragment();
      text.split("\n").forEach((line, i) => {
        if (i) frag.appendChild(doc.createElement("br"));
        frag.appendChild(doc.createTextNode(line));
      });
      const last = frag.lastChild;
      range.insertNode(frag);
      if (last) {
        range.setStartAfter(last);
        range.collapse(true);
        T.select(el, range);
      }
      fire(el, "input");
    },
    replace(el, offset, length, text) {
      return this.insert(el, text, { start: offset, end: offset + length });
    },
  };

  // Framework editors: the edit goes in as a paste (ProseMirror, Quill, Slate, Lexical, CKEditor
  // all turn a text/plain paste into their own transaction); execCommand only if nobody took it.
  const rich = {
    ...plain,
    kind: "rich",
    type(el, text) {
      const view = el.ownerDocument.defaultView;
      let handled = false;
      try {
        const data = new view.DataTransfer();
        data.setData("text/plain", text);
        const paste = new view.ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true });
        handled = !el.dispatchEvent(paste); // the editor called preventDefault: it inserted the text
      } catch (error) {
        handled = false;
      }
      if (!handled) plain.type.call(this, el, text);
    },
  };

  function forElement(el) {
    if (T.isField(el)) return field;
    if (el.closest && el.closest(RICH)) return rich;
    return plain;
  }

  const TactEditors = { forElement, isEditable, editorOf, field, plain, rich, RICH };
  root.TactEditors = TactEditors;
  if (typeof module !== "undefined") module.exports = TactEditors;
})(typeof globalThis !== "undefined" ? globalThis : this);
