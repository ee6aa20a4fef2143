// Adapter unit tests on the committed fixture pages (node's built-in runner, jsdom for the DOM).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { JSDOM } from "jsdom";

const require = createRequire(import.meta.url);
const FIXTURES = new URL("../../tests/e2e/fixtures/", import.meta.url);
const gmail = require("../content/adapters/gmail.js");
const outlook = require("../content/adapters/outlook.js");
const generic = require("../content/adapters/generic.js");
const registry = require("../content/registry.js");
const text = require("../content/text.js");
const variables = require("../content/variables.js");

function page(name, url) {
  const html = readFileSync(new URL(name, FIXTURES), "utf8").replace(/<script>[\s\S]*?<\/script>/g, "");
  return new JSDOM(html, { url }).window.document;
}

test("gmail reads the customer's last message without the quoted part", () => {
  const doc = page("gmail.html", "https://mail.google.com/mail/u/0/#inbox/1");
  assert.ok(gmail.matches(doc.location.href));
  const message = gmail.readMessage(doc);
  assert.equal(message.senderName, "Dana Miller");
  assert.equal(message.senderEmail, "dana.miller@example.com");
  assert.equal(message.subject, "Charged twice for order #48213");
  assert.match(message.text, /charged twice for my order #48213/);
  assert.doesNotMatch(message.text, /Thank you for your order/);
  assert.equal(gmail.readMessage(doc, { ownEmail: "DANA.MILLER@example.com" }), null);
});

test("gmail finds the compose box and reads its lines", () => {
  const doc = page("gmail.html", "https://mail.google.com/mail/u/0/");
  const box = gmail.findCompose(doc);
  assert.equal(box.getAttribute("aria-label"), "Message Body");
  box.innerHTML = "<div>Hello Dana,</div><div><br></div><div>Refunded.</div>";
  assert.equal(gmail.readDraft(box), "Hello Dana,\n\nRefunded.");
});

test("outlook reads sender, subject and body from ARIA labels", () => {
  const doc = page("outlook.html", "https://outlook.office.com/mail/inbox/id/1");
  assert.ok(outlook.matches(doc.location.href) && !gmail.matches(doc.location.href));
  const message = outlook.readMessage(doc);
  assert.deepEqual([message.senderName, message.senderEmail], ["Мария Иванова", "maria.ivanova@example.ru"]);
  assert.equal(message.subject, "Где мой заказ №77120?");
  assert.match(message.text, /посылка так и не пришла/);
  assert.equal(outlook.findCompose(doc).getAttribute("role"), "textbox");
});

test("a broken adapter is isolated by the registry", () => {
  registry.clear();
  registry.register({ name: "broken", matches: () => true, readMessage: () => { throw new Error("page changed"); },
                      findCompose: () => null, readDraft: () => "", insertText: () => {}, onSend: () => { throw new Error("x"); } });
  registry.register(gmail);
  const adapter = registry.forUrl("https://mail.google.com/");
  assert.equal(adapter.name, "broken");
  assert.equal(adapter.readMessage({}), null);
  assert.equal(typeof adapter.onSend({}, () => {}), "function");
  registry.clear();
  registry.register(gmail);
  registry.register(generic);
  assert.equal(registry.forUrl("https://help.example.com/"), null);
  assert.equal(registry.forUrl("https://help.example.com/", { genericEnabled: true }).name, "generic");
});

test("generic adapter uses the selection and the focused text area", () => {
  const doc = new JSDOM('<p id="m">Where is my order?</p><textarea id="t"></textarea>', { url: "https://help.example.com/" }).window.document;
  const range = doc.createRange();
  range.selectNodeContents(doc.getElementById("m"));
  doc.getSelection().addRange(range);
  assert.equal(generic.readMessage(doc).text, "Where is my order?");
  doc.getElementById("t").focus();
  const box = generic.findCompose(doc);
  generic.insertText(box, "Hello");
  assert.equal(generic.readDraft(box), "Hello");
});

test("offsets map back to ranges in a contenteditable", () => {
  const doc = new JSDOM('<div id="c" contenteditable="true"><div>Hi 😀 Ana,</div><div>tset here</div></div>').window.document;
  const box = doc.getElementById("c");
  const draft = text.readText(box);
  assert.equal(draft, "Hi 😀 Ana,\ntset here");
  const at = draft.indexOf("tset");
  assert.equal(text.rangeFor(box, at, 4).toString(), "tset");
});

test("variables come from the sender and the agent profile", () => {
  const v = variables.buildVariables({ senderName: "Dana Miller", senderEmail: "dana@example.com", subject: "Order #48213 late" },
                                     { agentName: "Sam", companyName: "Acme" });
  assert.deepEqual(v.customer, { name: "Dana Miller", first_name: "Dana", email: "dana@example.com" });
  assert.equal(v.ticket.id, "48213");
  assert.deepEqual([v.agent.name, v.company.name], ["Sam", "Acme"]);
  assert.equal(variables.buildVariables({ senderName: "", senderEmail: "john.smith@example.com" }).customer.first_name, "John");
  assert.deepEqual(variables.findMarkers("Hi [customer.first_name], [agent.name]", ["agent.name", "customer.first_name"])
    .map((m) => m.name), ["customer.first_name", "agent.name"]);
  assert.equal(variables.editRatio("abc", "abc"), 0);
  assert.ok(variables.editRatio("hello world", "hello there") > 0.3);
});

test("an adapter activates by host, else by page signature on a site the agent switched on", () => {
  registry.clear();
  registry.register(gmail);
  registry.register(outlook);
  registry.register(generic);
  const owa = new JSDOM('<div id="owaRoot"><div aria-label="Reading Pane"></div></div>', { url: "https://mail.acme.example/owa/" }).window.document;
  assert.equal(registry.forPage(owa, owa.location.href, { genericEnabled: true }).name, "outlook");
  assert.equal(registry.forPage(owa, owa.location.href), null);
  const desk = new JSDOM("<textarea></textarea>", { url: "https://help.acme.example/" }).window.document;
  assert.equal(registry.forPage(desk, desk.location.href, { genericEnabled: true }).name, "generic");
  assert.equal(registry.forPage(desk, "https://mail.google.com/mail/u/0/").name, "gmail");
});

test("the manifest lists every content script once, and each feature has setup/destroy", () => {
  const manifest = JSON.parse(readFileSync(new URL("../manifest.json", import.meta.url), "utf8"));
  const files = manifest.content_scripts[0].js;
  assert.equal(new Set(files).size, files.length);
  for (const file of files) assert.ok(readFileSync(new URL(`../${file}`, import.meta.url), "utf8").length > 0, file);
  assert.deepEqual(files.slice(-1), ["content/main.js"]);
  for (const name of ["live-check", "suggestions", "shortcuts", "send-guard"]) {
    const feature = require(`../content/features/${name}.js`);
    assert.equal(typeof feature.setup, "function", name);
    assert.ok(files.includes(`content/features/${name}.js`), name);
  }
});
