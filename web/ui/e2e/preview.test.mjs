// End-to-end test of events, scripts and preview: through the UI, add a Button, bind its onClick
// to a new script that dispatches counter/increment, write the page reducer in Monaco, set the
// initial state, run the preview, click, and see the state change. Screenshots: e2e/artifacts/preview-*.png.
// @ts-check
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { artifactsDir, e2eSuite, screenshot, startServer } from "./harness.mjs";

/** @typedef {import("playwright-core").Page} Page */

// Typed on one line: Monaco closes brackets and quotes itself and overtypes the closing ones.
const REDUCER =
  "function reducer(state, action) { if (action.type === 'counter/increment') return Object.assign({}, state, { count: state.count + 1 }); return state; }";

describe("events, scripts and preview", { timeout: 600_000 }, () => {
  const suite = e2eSuite();

  test("a button's click dispatches an action the page reducer counts", async (t) => {
    const browser = suite.browser;
    if (!browser) {
      t.skip("chromium is not installed");
      return;
    }
    const server = await startServer(suite.bin, { name: "preview" });
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    /** @type {string[]} */
    const consoleErrors = [];
    /** @type {string[]} */
    const frames = [];
    page.on("websocket", (ws) => {
      ws.on("framesent", (f) => frames.push("> " + String(f.payload).slice(0, 300)));
      ws.on("framereceived", (f) => frames.push("< " + String(f.payload).slice(0, 300)));
    });
    page.on("pageerror", (err) => consoleErrors.push(String(err)));
    page.on("console", (msg) => {
      if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) consoleErrors.push(msg.text());
    });
    try {
      const admin = server.admin;
      assert.ok(admin);
      await page.goto("/login");
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Workspaces", level: 1 }).waitFor();
      await page.getByLabel("Workspace name").fill("Acme");
      await page.getByRole("button", { name: "Create workspace" }).click();
      await page.getByRole("link", { name: /Acme/ }).click();
      await page.getByLabel("App name").fill("Counter");
      await page.getByRole("button", { name: "Create app" }).click();
      await page.getByRole("link", { name: /Counter/ }).click();
      await page.getByRole("button", { name: "New page" }).click();
      await page.getByLabel("Page name").fill("Home");
      await page.getByRole("button", { name: "Add page" }).click();
      await page.waitForURL(/\/pages\/[^/]+$/);

      // Add a Button from the palette (a click inserts it and selects it).
      await page.getByRole("region", { name: "Components" }).getByRole("button", { name: "Button", exact: true }).click();
      const canvas = page.getByTestId("editor-canvas");
      await canvas.locator('[data-node-id]:has-text("Button")').last().waitFor();

      // Bind onClick to a new script that dispatches counter/increment.
      const inspector = page.getByRole("complementary", { name: "Inspector" });
      await inspector.getByRole("tab", { name: "Events" }).click();
      const onClick = inspector.getByTestId("event-onClick");
      await onClick.getByLabel("Handler of onClick").selectOption("script");
      await onClick.getByLabel("Script of onClick").selectOption("__new__");
      await onClick.getByLabel("Action to dispatch").fill("counter/increment");
      await onClick.getByRole("button", { name: "Create script" }).click();
      await page.waitForSelector('[data-testid="event-onClick"][data-bound="script"]');
      await onClick.locator("summary").click(); // the payload schema
      await screenshot(page, "preview-1-events");

      // The page reducer, written in Monaco, and the initial state.
      await inspector.getByRole("tab", { name: "Scripts" }).click();
      await inspector.getByRole("button", { name: "New page reducer" }).click();
      await page.waitForFunction(() => {
        const s = /** @type {HTMLSelectElement | null} */ (document.querySelector('[data-testid="page-reducer-select"]'));
        return s !== null && s.value !== "";
      });
      const reducerId = await inspector.getByTestId("page-reducer-select").inputValue();
      const editor = inspector.locator(`[data-testid="script-editor"][data-doc="script-${reducerId}"] .monaco-editor`);
      await editor.waitFor();
      await editor.locator(".view-lines").getByText("function reducer").first().waitFor();
      await editor.locator(".view-lines").click();
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.press("Delete");
      // Completion knows the sandbox API (goflow-api.d.ts).
      await page.keyboard.type("createAc", { delay: 20 });
      await editor.locator(".suggest-widget").getByText("createAction").first().waitFor();
      await screenshot(page, "preview-2a-completion");
      await page.keyboard.press("Escape");
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.press("Delete");
      await page.keyboard.type(REDUCER, { delay: 5 });
      await page.keyboard.press("Escape");
      await inspector.getByTestId("initial-state").fill('{"count": 0}');
      await inspector.getByRole("button", { name: "Save initial state" }).click();

      // The run reads the scripts' head versions: wait until the typed reducer is saved.
      const deadline = Date.now() + 15_000;
      let saved = "";
      while (Date.now() < deadline) {
        const res = await page.request.get(`/api/scripts/${reducerId}`);
        saved = String((await res.json()).text);
        if (saved === REDUCER) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(saved, REDUCER, "the reducer typed in Monaco was not saved as typed");
      await screenshot(page, "preview-2-scripts");

      // Preview: run, click the button, see the count.
      await inspector.getByRole("tab", { name: "Preview" }).click();
      await inspector.getByRole("button", { name: "Run preview" }).click();
      const state = inspector.getByTestId("preview-state");
      await state.getByText('"count": 0').waitFor();
      await inspector.getByTestId("preview-page").getByRole("button", { name: "Button" }).click();
      await state.getByText('"count": 1').waitFor();
      await screenshot(page, "preview-3-clicked");
      await inspector.getByTestId("preview-page").getByRole("button", { name: "Button" }).click();
      await state.getByText('"count": 2').waitFor();

      // Restart starts again from the initial state.
      await inspector.getByRole("button", { name: "Restart" }).click();
      await state.getByText('"count": 0').waitFor();

      // A reducer that does not compile: the run reports it, and the editor marks it.
      await inspector.getByRole("tab", { name: "Scripts" }).click();
      const editor2 = inspector.locator(`[data-testid="script-editor"][data-doc="script-${reducerId}"] .monaco-editor`);
      await editor2.locator(".view-lines").getByText("function reducer").first().waitFor();
      await editor2.locator(".view-lines").click();
      await page.keyboard.press("ControlOrMeta+End");
      // While typing, the draft is checked by the server (POST …/check), before anything runs.
      const checked = page.waitForResponse(async (r) => r.url().endsWith(`/api/scripts/${reducerId}/check`) && (await r.json()).ok === false);
      await page.keyboard.type(" }");
      const check = await (await checked).json();
      assert.match(check.errors[0].message, /SyntaxError/);
      const broken = REDUCER + " }";
      const deadline2 = Date.now() + 15_000;
      while (Date.now() < deadline2) {
        const res = await page.request.get(`/api/scripts/${reducerId}`);
        if (String((await res.json()).text) === broken) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await inspector.getByRole("tab", { name: "Preview" }).click();
      await inspector.getByRole("button", { name: "Run preview" }).click();
      await inspector.getByTestId("preview-page").getByRole("button", { name: "Button" }).click();
      await inspector.getByTestId("preview-error").waitFor();
      const previewError = await inspector.getByTestId("preview-error").textContent();
      await screenshot(page, "preview-4-error");
      await inspector.getByRole("tab", { name: "Scripts" }).click();
      await inspector.getByTestId("script-run-error").waitFor();
      await editor2.locator(".squiggly-error").first().waitFor();
      await screenshot(page, "preview-5-marker");
      t.diagnostic(`run error: ${previewError}`);
      assert.deepEqual(consoleErrors, [], "errors in the page's console");
    } catch (err) {
      await screenshot(page, "preview-failure").catch(() => undefined);
      await writeFile(join(artifactsDir, "preview-failure-frames.log"), frames.join("\n")).catch(() => undefined);
      throw err;
    } finally {
      await context.close();
      await server.stop();
    }
  });
});
