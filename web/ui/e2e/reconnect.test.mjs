// End-to-end test of issue 8: after a lost connection the editor reconnects and catches up without
// a reload. Two users have one page open; the goflow server is stopped (SIGTERM) and started again
// on the same address, data dir and secret key. A edits while the server is down (the optimistic
// view shows it), reconnects, and its pending edit is committed; B catches up without reloading,
// and B's edit from before the outage stays. Screenshots land in e2e/artifacts/reconnect-*.png.
// @ts-check
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { e2eSuite, screenshot, startServer } from "./harness.mjs";
import { apiAs, fixture, signInTo } from "./fixtures.mjs";

/** @typedef {import("playwright-core").Browser} Browser */
/** @typedef {import("playwright-core").Page} Page */
/** @typedef {import("./harness.mjs").Server} Server */

/**
 * The page's nodes of a type as the server has them, by id (from GET /api/pages/<id>).
 * @param {Record<string, any>} doc @param {string} type
 * @returns {Map<string, Record<string, any>>}
 */
function nodesOfType(doc, type) {
  /** @type {Map<string, Record<string, any>>} */
  const out = new Map();
  /** @param {Record<string, any>} n */
  const walk = (n) => {
    if (n.type === type) out.set(String(n.id), n);
    for (const k of n.children ?? []) walk(k);
  };
  walk(doc.root);
  return out;
}

/** The session-level console messages that an outage is expected to cause (failed connects). */
const outageNoise = [/^Failed to load resource/, /^WebSocket connection to '.*' failed/];

describe("editor reconnect (issue 8)", { timeout: 300_000 }, () => {
  const suite = e2eSuite();

  test("the server restarts under two open editors: A's offline edit is committed, B catches up without a reload", async (t) => {
    const browser = suite.browser;
    if (!browser) {
      t.skip("chromium is not installed");
      return;
    }
    const b0 = browser;
    const server = await startServer(suite.bin, { name: "reconnect" });
    const contexts = await Promise.all([0, 1].map(() => b0.newContext({ baseURL: server.baseUrl, viewport: { width: 1400, height: 900 } })));
    /** Every console message and status change, for the failure message: what the user saw. */
    /** @type {string[]} */
    const transcript = [];
    /** @type {string[]} */
    const consoleErrors = [];
    /** Failed WebSocket connects per page (chromium logs each one to the console). */
    const failedConnects = { A: 0, B: 0 };
    const [a, b] = await Promise.all(
      contexts.map(async (c, i) => {
        c.setDefaultTimeout(15_000);
        const p = await c.newPage();
        const who = /** @type {"A" | "B"} */ (i === 0 ? "A" : "B");
        p.on("pageerror", (err) => consoleErrors.push(`${who}: ${err}`));
        p.on("console", (msg) => {
          transcript.push(`${who} console.${msg.type()}: ${msg.text()}`);
          if (/^WebSocket connection to '.*' failed/.test(msg.text())) failedConnects[who]++;
          if (msg.type() === "error" && !outageNoise.some((re) => re.test(msg.text()))) consoleErrors.push(`${who}: ${msg.text()}`);
        });
        p.on("framenavigated", (f) => {
          if (f === p.mainFrame()) transcript.push(`${who} navigated: ${f.url()}`);
        });
        return p;
      }),
    );
    assert.ok(a && b);
    const statusA = a.locator('[role="status"][data-status]');
    const statusB = b.locator('[role="status"][data-status]');
    /** @param {string} step */
    const note = async (step) => {
      const sa = await statusA.getAttribute("data-status", { timeout: 1000 }).catch(() => "?");
      const sb = await statusB.getAttribute("data-status", { timeout: 1000 }).catch(() => "?");
      transcript.push(`${step}: status A=${sa} B=${sb}`);
    };
    const pages = [a, b];
    try {
      const f = await fixture(server);
      await signInTo(a, f.admin, f.editorPath);
      await signInTo(b, f.bob, f.editorPath);
      await a.locator('[aria-label="People on this page"] [data-user="bob"]').waitFor();
      await b.locator(`[aria-label="People on this page"] [data-user="${f.admin.username}"]`).waitFor();

      // B's edit before the outage: a Text inserted by a palette click (into the page: nothing
      // is selected); A sees it live.
      await b.locator('[data-palette-type="Text"]').click();
      const textB = b.locator('[data-node-type="Text"]');
      await textB.waitFor();
      const textId = await textB.getAttribute("data-node-id");
      assert.ok(textId);
      await a.locator(`[data-node-type="Text"][data-node-id="${textId}"]`).waitFor();

      // Marks both documents: a reload or navigation would drop the marks.
      await Promise.all(pages.map((p) => p.evaluate(() => Object.assign(window, { __e2eNoReload: true }))));
      await note("before the outage");

      // The outage: SIGTERM (the realtime server closes its sockets with 1001 going away).
      await server.halt();
      const reconnectingA = a.locator('[role="status"][data-status="disconnected"], [role="status"][data-status="connecting"]');
      await reconnectingA.waitFor();
      assert.equal(await reconnectingA.textContent(), "Reconnecting…");
      const reconnectingB = b.locator('[role="status"][data-status="disconnected"], [role="status"][data-status="connecting"]');
      await reconnectingB.waitFor();
      assert.equal(await reconnectingB.textContent(), "Reconnecting…");
      await note("server down");

      // A edits while the server is down: a Button by a palette click, then its label. The
      // optimistic view shows both.
      await a.locator('[data-palette-type="Button"]').click();
      const buttonA = a.locator('[data-node-type="Button"]');
      await buttonA.waitFor();
      const buttonId = await buttonA.getAttribute("data-node-id");
      assert.ok(buttonId);
      await buttonA.click();
      const label = a.getByLabel("Label", { exact: true });
      await label.fill("Offline edit");
      await label.press("Enter");
      await a.locator(`[data-node-id="${buttonId}"] button`, { hasText: "Offline edit" }).waitFor();
      assert.match((await statusA.getAttribute("data-status")) ?? "", /^(disconnected|connecting)$/, "A is still offline after its edit");
      assert.equal(await b.locator('[data-node-type="Button"]').count(), 0, "B cannot see A's offline edit yet");
      await note("A edited offline");
      // Stay down until A's reconnects have failed a few times (the backoff runs), then check
      // that nothing gave up: A still shows its edit and "Reconnecting…".
      const failedAtHalt = failedConnects.A;
      const downDeadline = Date.now() + 20_000;
      while (failedConnects.A < 3 && Date.now() < downDeadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(failedConnects.A >= 3, `A tried to reconnect ${failedConnects.A} times in 20 s while the server was down`);
      transcript.push(`A's failed reconnects while down: ${failedConnects.A} (${failedAtHalt} before its edit was seen)`);
      assert.equal(await reconnectingA.textContent(), "Reconnecting…");
      await a.locator(`[data-node-id="${buttonId}"] button`, { hasText: "Offline edit" }).waitFor();
      await screenshot(a, "reconnect-1-offline-a");
      await screenshot(b, "reconnect-1-offline-b");

      // The server comes back on the same address, data dir and secret key.
      await server.restart();
      transcript.push("server restarted");

      // A reconnects (the backoff is at most 10 s) and its pending edit is committed.
      await a.locator('[role="status"][data-status="connected"]').waitFor({ timeout: 30_000 });
      await note("A connected again");
      const api = await apiAs(server.baseUrl, f.admin.username, f.admin.password);
      /** @type {Record<string, any>} */
      let doc = {};
      const deadline = Date.now() + 15_000;
      for (;;) {
        doc = await api("GET", `/api/pages/${f.page.id}`);
        const buttons = nodesOfType(doc, "Button");
        if (buttons.get(buttonId)?.props?.label === "Offline edit" || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const buttons = nodesOfType(doc, "Button");
      assert.deepEqual([...buttons.keys()], [buttonId], "the server has A's Button, once, under the id A's view showed");
      assert.equal(buttons.get(buttonId)?.props?.label, "Offline edit", "the server has A's offline label");
      assert.deepEqual([...nodesOfType(doc, "Text").keys()], [textId], "the server still has B's Text, once");

      // B catches up without a reload: A's Button with its label, and B's own Text.
      await b.locator('[role="status"][data-status="connected"]').waitFor({ timeout: 30_000 });
      await note("B connected again");
      await b.locator(`[data-node-id="${buttonId}"] button`, { hasText: "Offline edit" }).waitFor();
      for (const p of pages) {
        assert.equal(await p.locator('[data-node-type="Button"]').count(), 1);
        assert.equal(await p.locator(`[data-node-type="Text"][data-node-id="${textId}"]`).count(), 1);
        assert.equal(await p.locator('[data-node-type="Text"]').count(), 1);
        assert.equal(await p.evaluate(() => /** @type {any} */ (window).__e2eNoReload), true, "the page was not reloaded");
      }
      // Each sees the other again.
      await a.locator('[aria-label="People on this page"] [data-user="bob"]').waitFor();
      await b.locator(`[aria-label="People on this page"] [data-user="${f.admin.username}"]`).waitFor();
      await note("caught up");
      await screenshot(a, "reconnect-2-caught-up-a");
      await screenshot(b, "reconnect-2-caught-up-b");

      // The connection works after the reconnect: B relabels the Button, A sees it live.
      await b.locator(`[data-node-id="${buttonId}"]`).click();
      const labelB = b.getByLabel("Label", { exact: true });
      await labelB.fill("After the outage");
      await labelB.press("Enter");
      await a.locator(`[data-node-id="${buttonId}"] button`, { hasText: "After the outage" }).waitFor();

      assert.deepEqual(consoleErrors, [], "errors in the pages' consoles");
    } catch (err) {
      await note("failed").catch(() => undefined);
      await Promise.all(pages.map((p, i) => (p ? screenshot(p, `reconnect-failure-${i}`).catch(() => undefined) : undefined)));
      if (err instanceof Error) err.message += `\n--- what the pages saw ---\n${transcript.join("\n")}`;
      throw err;
    } finally {
      // The steps and statuses (the console lines go into a failure's message only).
      console.log(`reconnect steps:\n${transcript.filter((l) => !l.includes(" console.")).join("\n")}`);
      await Promise.all(contexts.map((c) => c.close()));
      await server.stop();
    }
  });
});
