/* Text in compose boxes: one linear view of a contenteditable (blocks and <br> become "\n"),
 * offsets in UTF-16 code units (what the server's /check returns) and back to DOM ranges, and
 * quoted history in messages. Edits are content/editors.js's business. */
(function (root) {
  "use strict";
  const BLOCK = /^(DIV|P|LI|BLOCKQUOTE|H[1-6]|TR|UL|OL|PRE)$/;

  function isField(el) {
    return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /^(text|search|)$/i.test(el.type || "")));
  }

  // Walk the editor once; return its text and the text nodes with their start offsets. With a
  // DOM point (node, offset), also where that point falls in the text (`at`): a caret to offsets.
  function linearize(el, point = null) {
    if (isField(el)) return { text: el.value, pieces: [], slots: [], at: null };
    const pieces = [];
    const slots = [];
    let text = "";
    let at = null;
    const walk = (node) => {
      const children = node.childNodes;
      for (let i = 0; i < children.length; i++) {
        if (point && at === null && point.node === node && point.offset === i) at = text.length;
        const child = children[i];
        if (child.nodeType === 3) {
          if (point && at === null && point.node === child) at = text.length + Math.min(point.offset, child.data.length);
          pieces.push({ node: child, start: text.length });
          text += child.data;
        } else if (child.nodeType === 1) {
          if (child.tagName === "BR") {
            slots.push({ node, offset: i, start: text.length }); // a caret can stand before a <br>
            text += "\n";
            continue;
          }
          const block = BLOCK.test(child.tagName);
          if (block && text && !text.endsWith("\n")) text += "\n";
          walk(child);
          if (block && text && !text.endsWith("\n")) text += "\n";
        }
      }
      if (point && at === null && point.node === node && point.offset >= children.length) at = text.length;
    };
    walk(el);
    let end = text.length; // trailing line breaks off ("\n+$" tried every "\n" of a long run to its end)
    while (end > 0 && text[end - 1] === "\n") end--;
    const trimmed = text.slice(0, end);
    return { text: trimmed, pieces, slots, at: at === null ? null : Math.min(at, trimmed.length) };
  }

  // A DOM point inside the editor as an offset in its linear text (null when outside it).
  function offsetOf(el, node, offset) {
    if (!el.contains(node)) return null;
    return linearize(el, { node, offset }).at;
  }

  function readText(el) {
    return linearize(el).text;
  }

  function rangeFor(el, offset, length) {
    const { pieces, slots } = linearize(el);
    const doc = el.ownerDocument;
    const locate = (pos) => {
      for (let i = pieces.length - 1; i >= 0; i--) {
        const p = pieces[i];
        if (pos >= p.start && pos <= p.start + p.node.data.length) return [p.node, pos - p.start];
      }
      // no text there (an empty line): before the <br> that makes that line
      const slot = slots.find((s) => s.start === pos);
      if (slot) return [slot.node, slot.offset];
      const next = pieces.find((p) => p.start >= pos);
      return next ? [next.node, 0] : null;
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

  // Quoted history in a copy of a message body: the first quote marker and everything after it
  // goes (a reply header is followed by the old text without any wrapper around it).
  function cutQuotes(body, selector) {
    const copy = body.cloneNode(true);
    const marker = copy.querySelector(selector);
    if (marker) {
      for (let node = marker; node && node !== copy; node = node.parentNode) {
        while (node.nextSibling) node.nextSibling.remove();
      }
      marker.remove();
    }
    return copy;
  }

  // The same in plain text: "On … wrote:" / "… пишет:" / "-----Original Message-----" / a
  // "From: … Sent: …" header, and ">"-quoted lines. Each pattern stays within its line ([ \t], not
  // \s, around it): "^\s*" ran from every line start across all the blank lines after it, and a
  // message of 100,000 empty lines held the page 30 s.
  const QUOTE_START = [
    /^[ \t]*(On|Le|Am)[ \t].{4,200}(wrote|écrit|schrieb)[ \t]*:[ \t]*$/im,
    /^.{4,200}(пишет|написал|написала)[ \t]*:[ \t]*$/im,
    /^[ \t]*-{2,}[ \t]*(Original Message|Исходное сообщение|Forwarded message|Пересылаемое сообщение)[ \t]*-{2,}/im,
    /^[ \t]*(From|От|De):[ \t].+\n[ \t]*(Sent|Date|Отправлено|Дата|Envoyé):\s/im,
  ];
  // An address, found only from the start of a run of the characters it is made of, each part
  // bounded: "[\w.+-]+@…" tried every character of a long word against the rest of it (a selection
  // of 100,000 letters: 10 s).
  const EMAIL = /(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+/;
  function stripQuoted(text) {
    let cut = text.length;
    for (const pattern of QUOTE_START) {
      const m = pattern.exec(text);
      if (m && m.index > 0 && m.index < cut) cut = m.index;
    }
    return text.slice(0, cut).split("\n").filter((line) => !/^\s*>/.test(line)).join("\n").trim();
  }

  const TactText = { EMAIL, cutQuotes, stripQuoted, linearize, offsetOf, readText, rangeFor, select, isField };
  root.TactText = TactText;
  if (typeof module !== "undefined") module.exports = TactText;
})(typeof globalThis !== "undefined" ? globalThis : this);
