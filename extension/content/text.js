/* Text in compose boxes: one linear view of a contenteditable (blocks and <br> become "\n"),
 * offsets in UTF-16 code units (what the server's /check returns), and edits that go through
 * the editor's own input path (execCommand) so Gmail's and Outlook's undo keeps working. */
(function (root) {
  "use strict";
  const BLOCK = /^(DIV|P|LI|BLOCKQUOTE|H[1-6]|TR|UL|OL|PRE)$/;

  function isField(el) {
    return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /^(text|search|)$/i.test(el.type || "")));
  }

  // Walk the editor once; return its text and the text nodes with their start offsets.
  function linearize(el) {
    if (isField(el)) return { text: el.value, pieces: [] };
    const pieces = [];
    let text = "";
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === 3) {
          pieces.push({ node: child, start: text.length });
          text += child.data;
        } else if (child.nodeType === 1) {
          if (child.tagName === "BR") {
            text += "\n";
            continue;
          }
          const block = BLOCK.test(child.tagName);
          if (block && text && !text.endsWith("\n")) text += "\n";
          walk(child);
          if (block && text && !text.endsWith("\n")) text += "\n";
        }
      }
    };
    walk(el);
    return { text: text.replace(/\n+$/, ""), pieces };
  }

  function readText(el) {
    return linearize(el).text;
  }

  function rangeFor(el, offset, length) {
    const { pieces } = linearize(el);
    const doc = el.ownerDocument;
    const locate = (pos) => {
      for (let i = pieces.length - 1; i >= 0; i--) {
        const p = pieces[i];
        if (pos >= p.start && pos <= p.start + p.node.data.length) return [p.node, pos - p.start];
      }
      return null;
    };
    const a = locate(offset);
    const b = locate(offset + length);
    if (!a || !b) return null;
    const range = doc.createRange();
    range.setStart(a[0], a[1]);
    range.setEnd(b[0], b[1]);
    return range;
  }

  function select(el, range) {
    const sel = el.ownerDocument.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Insert at the caret (or replace the selection); a caret outside the editor goes to its end.
  function insertAtCaret(el, text) {
    const doc = el.ownerDocument;
    el.focus();
    if (isField(el)) {
      const start = el.selectionStart ?? el.value.length;
      const end = el.selectionEnd ?? start;
      el.setRangeText(text, start, end, "end");
      el.dispatchEvent(new el.ownerDocument.defaultView.Event("input", { bubbles: true }));
      return;
    }
    const sel = doc.getSelection();
    if (!sel.rangeCount || !el.contains(sel.getRangeAt(0).startContainer)) {
      const range = doc.createRange();
      range.selectNodeContents(el);
      range.collapse(false);
      select(el, range);
    }
    const ok = typeof doc.execCommand === "function" && doc.execCommand("insertText", false, text);
    if (!ok) {
      const range = doc.getSelection().getRangeAt(0);
      range.deleteContents();
      const lines = text.split("\n");
      const frag = doc.createDocumentFragment();
      lines.forEach((line, i) => {
        if (i) frag.appendChild(doc.createElement("br"));
        frag.appendChild(doc.createTextNode(line));
      });
      range.insertNode(frag);
      range.collapse(false);
      el.dispatchEvent(new el.ownerDocument.defaultView.Event("input", { bubbles: true }));
    }
  }

  function replaceRange(el, offset, length, text) {
    if (isField(el)) {
      el.focus();
      el.setRangeText(text, offset, offset + length, "end");
      el.dispatchEvent(new el.ownerDocument.defaultView.Event("input", { bubbles: true }));
      return true;
    }
    const range = rangeFor(el, offset, length);
    if (!range) return false;
    el.focus();
    select(el, range);
    insertAtCaret(el, text);
    return true;
  }

  // Text before the caret inside the editor, for ";;shortcut" detection.
  function textBeforeCaret(el) {
    if (isField(el)) return el.value.slice(0, el.selectionStart ?? el.value.length);
    const sel = el.ownerDocument.getSelection();
    if (!sel.rangeCount) return "";
    const range = sel.getRangeAt(0).cloneRange();
    if (!el.contains(range.startContainer)) return "";
    range.setStart(el, 0);
    const probe = el.ownerDocument.createElement("div");
    probe.appendChild(range.cloneContents());
    return readText(probe);
  }

  // Remove the n characters before the caret (the typed ";;shortcut").
  function deleteBeforeCaret(el, n) {
    if (isField(el)) {
      const end = el.selectionStart ?? el.value.length;
      el.setRangeText("", Math.max(0, end - n), end, "end");
      return;
    }
    const sel = el.ownerDocument.getSelection();
    for (let i = 0; i < n; i++) sel.modify("extend", "backward", "character");
    el.ownerDocument.execCommand("delete", false);
  }

  const TactText = { linearize, readText, rangeFor, select, insertAtCaret, replaceRange, textBeforeCaret, deleteBeforeCaret, isField };
  root.TactText = TactText;
  if (typeof module !== "undefined") module.exports = TactText;
})(typeof globalThis !== "undefined" ? globalThis : this);
