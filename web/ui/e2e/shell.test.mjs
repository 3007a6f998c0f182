// End-to-end tests of the app shell: sign-in, setup, workspaces, apps and the editor's page tree,
// against a real goflow server in headless chromium. Screenshots land in e2e/artifacts/.
// @ts-check
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { e2eSuite, screenshot, startServer } from "./harness.mjs";

/** @typedef {import("playwright-core").Browser} Browser */
/** @typedef {import("playwright-core").Page} Page */

describe("app shell", { timeout: 600_000 }, () => {
  const suite = e2eSuite();

  /**
   * Runs fn with a page of a fresh browser context on a fresh server; screenshots the page as
   * <name>-failure.png when fn throws.
   * @param {import("node:test").TestContext} t
   * @param {string} name
   * @param {{ admin?: boolean }} opts
   * @param {(page: Page, server: import("./harness.mjs").Server) => Promise<void>} fn
   */
  async function withPage(t, name, opts, fn) {
    const browser = suite.browser;
    if (!browser) {
      t.skip("chromium is not installed");
      return;
    }
    const server = await startServer(suite.bin, { ...opts, name });
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    /** @type {string[]} */
    const consoleErrors = [];
    page.on("pageerror", (err) => consoleErrors.push(String(err)));
    page.on("console", (msg) => {
      // Chromium logs every non-2xx fetch ("Failed to load resource"); the tests cause some on purpose.
      if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) consoleErrors.push(msg.text());
    });
    try {
      await fn(page, server);
      assert.deepEqual(consoleErrors, [], "errors in the page's console");
    } catch (err) {
      await screenshot(page, `${name}-failure`).catch(() => undefined);
      throw err;
    } finally {
      await context.close();
      await server.stop();
    }
  }

  test("sign in, create a workspace, an app and pages, rename and delete a page", async (t) => {
    await withPage(t, "shell", {}, async (page, server) => {
      const admin = server.admin;
      assert.ok(admin);

      // Signed out: every route leads to the sign-in form, which shows a wrong password's error.
      await page.goto("/w/nowhere");
      await page.waitForURL(/\/login\?next=%2Fw%2Fnowhere$/);
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").getByText("The username or password is wrong.").waitFor();
      await screenshot(page, "01-login-error");

      // Going to the app's root after sign-in (next= pointed at a workspace that does not exist).
      await page.goto("/");
      await page.waitForURL(/\/login$/);
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Workspaces", level: 1 }).waitFor();
      assert.equal(await page.getByTestId("current-user").textContent(), "admin");
      await screenshot(page, "02-workspaces");

      await page.getByLabel("Workspace name").fill("Acme");
      await page.getByRole("button", { name: "Create workspace" }).click();
      await page.getByRole("link", { name: /Acme/ }).click();
      await page.getByRole("heading", { name: "Acme", level: 1 }).waitFor();
      assert.match(new URL(page.url()).pathname, /^\/w\/[^/]+$/);

      // A name the server rejects: its error is shown on the field.
      const appName = page.getByLabel("App name");
      await appName.fill("x".repeat(101));
      await page.getByRole("button", { name: "Create app" }).click();
      await page.getByText("name must be 1..100 characters").waitFor();
      assert.equal(await appName.getAttribute("aria-invalid"), "true");
      await screenshot(page, "03-app-name-error");

      await appName.fill("Shop");
      await page.getByRole("button", { name: "Create app" }).click();
      await page.getByRole("link", { name: /Shop/ }).click();
      await page.waitForURL(/\/w\/[^/]+\/apps\/[^/]+$/);
      await page.getByTestId("topbar-title").getByText("Shop").waitFor();
      await page.getByTestId("editor-canvas").getByText("Select a page").waitFor();

      // Create a page: it appears in the tree, is selected, and the canvas shows it.
      await page.getByRole("button", { name: "New page" }).click();
      await page.getByLabel("Page name").fill("Home");
      await page.getByRole("button", { name: "Add page" }).click();
      await page.waitForURL(/\/pages\/[^/]+$/);
      const homeId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop() ?? "");
      const tree = page.getByTestId("page-tree");
      await tree.getByRole("link", { name: "Home" }).waitFor();
      assert.equal(await tree.getByRole("link", { name: "Home" }).getAttribute("aria-current"), "page");
      const canvas = page.getByTestId("editor-canvas");
      await canvas.getByRole("heading", { name: "Home" }).waitFor();
      assert.equal(await page.getByTestId("editor-page-id").textContent(), homeId);
      assert.equal(await canvas.getAttribute("data-page-id"), homeId);
      await screenshot(page, "04-editor-page");

      // Rename it.
      await page.getByRole("button", { name: "Rename page Home" }).click();
      await page.getByLabel("New name for Home").fill("Start");
      await page.getByRole("button", { name: "Save" }).click();
      await tree.getByRole("link", { name: "Start" }).waitFor();
      await canvas.getByRole("heading", { name: "Start" }).waitFor();

      // A second page, then delete it after confirming: the selection goes back to the app.
      await page.getByRole("button", { name: "New page" }).click();
      await page.getByLabel("Page name").fill("About");
      await page.getByRole("button", { name: "Add page" }).click();
      await canvas.getByRole("heading", { name: "About" }).waitFor();
      assert.equal(await tree.getByTestId("page-tree-item").count(), 2);
      await page.getByRole("button", { name: "Delete page About" }).click();
      const confirm = page.getByRole("alertdialog");
      await confirm.getByText("Delete “About”?").waitFor();
      await screenshot(page, "05-delete-confirm");
      await confirm.getByRole("button", { name: "Delete page", exact: true }).click();
      await page.waitForURL(/\/apps\/[^/]+$/);
      await tree.getByRole("link", { name: "About" }).waitFor({ state: "detached" });
      assert.equal(await tree.getByTestId("page-tree-item").count(), 1);

      // Selecting a page is a route, which survives a reload.
      await tree.getByRole("link", { name: "Start" }).click();
      await page.waitForURL(new RegExp(`/pages/${homeId}$`));
      await page.reload();
      await canvas.getByRole("heading", { name: "Start" }).waitFor();
      await screenshot(page, "06-editor-after-reload");

      // A subpage is listed under its parent.
      await page.getByRole("button", { name: "Add a page under Start" }).click();
      await page.getByLabel("Name of the new page under Start").fill("Team");
      await page.getByRole("button", { name: "Add page" }).click();
      await canvas.getByRole("heading", { name: "Team" }).waitFor();
      const startItem = tree.getByTestId("page-tree-item").filter({ has: page.getByRole("link", { name: "Start" }) });
      await startItem.getByTestId("page-tree-item").getByRole("link", { name: "Team" }).waitFor();
      await screenshot(page, "07-subpage");

      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(/\/login/);
      await page.getByRole("heading", { name: "Sign in to GoFlow" }).waitFor();
    });
  });

  test("move pages: reorder and nest them, kept after a reload", async (t) => {
    await withPage(t, "move", {}, async (page, server) => {
      const admin = server.admin;
      assert.ok(admin);
      await page.goto("/login");
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByLabel("Workspace name").fill("Acme");
      await page.getByRole("button", { name: "Create workspace" }).click();
      await page.getByRole("link", { name: /Acme/ }).click();
      await page.getByLabel("App name").fill("Shop");
      await page.getByRole("button", { name: "Create app" }).click();
      await page.getByRole("link", { name: /Shop/ }).click();
      await page.waitForURL(/\/w\/[^/]+\/apps\/[^/]+$/);

      const tree = page.getByTestId("page-tree");
      const canvas = page.getByTestId("editor-canvas");
      for (const name of ["A", "B"]) {
        await page.getByRole("button", { name: "New page" }).click();
        await page.getByLabel("Page name").fill(name);
        await page.getByRole("button", { name: "Add page" }).click();
        await canvas.getByRole("heading", { name, exact: true }).waitFor();
      }
      /** The page names in the tree, in document order (parents before their children). */
      const names = () => tree.getByRole("link").allTextContents();
      /** The tree item of the page named name. */
      const item = (/** @type {string} */ name) =>
        tree.getByTestId("page-tree-item").filter({ has: page.getByRole("link", { name, exact: true }) });
      /** Waits until the tree lists the pages named want, in order. */
      const waitForNames = async (/** @type {string[]} */ want) => {
        const until = Date.now() + 10_000;
        while (JSON.stringify(await names()) !== JSON.stringify(want) && Date.now() < until) await page.waitForTimeout(50);
        assert.deepEqual(await names(), want);
      };
      /** Waits until the move button labelled label is disabled: that move is not possible here. */
      const disabled = (/** @type {string} */ label) => tree.locator(`button[aria-label="${label}"]:disabled`).waitFor();
      /** Drags the page named from by its handle onto the page named to, in steps that dnd-kit follows. */
      const drag = async (/** @type {string} */ from, /** @type {string} */ to) => {
        const a = await tree.getByRole("button", { name: `Drag ${from}`, exact: true }).boundingBox();
        const b = await tree.getByRole("button", { name: `Drag ${to}`, exact: true }).boundingBox();
        assert.ok(a && b);
        await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
        await page.mouse.down();
        await page.mouse.move(a.x + a.width / 2 + 8, a.y + a.height / 2 + 8, { steps: 3 });
        await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
        await page.mouse.up();
      };
      assert.deepEqual(await names(), ["A", "B"]);
      await disabled("Move A up");
      await disabled("Indent A");

      // B above A, kept after a reload.
      await page.getByRole("button", { name: "Move B up", exact: true }).click();
      await waitForNames(["B", "A"]);
      await page.reload();
      await tree.getByRole("link", { name: "A", exact: true }).waitFor();
      assert.deepEqual(await names(), ["B", "A"]);
      await screenshot(page, "09-moved-up");

      // B back below A and under it: its subpage, kept after a reload.
      await page.getByRole("button", { name: "Move B down", exact: true }).click();
      await waitForNames(["A", "B"]);
      await page.getByRole("button", { name: "Indent B", exact: true }).click();
      await item("A").getByTestId("page-tree-item").getByRole("link", { name: "B", exact: true }).waitFor();
      await page.reload();
      await item("A").getByTestId("page-tree-item").getByRole("link", { name: "B", exact: true }).waitFor();
      assert.equal(await tree.getByTestId("page-tree-item").count(), 2);
      assert.deepEqual(await names(), ["A", "B"]);
      await disabled("Indent B"); // no sibling above it any more
      await screenshot(page, "10-indented");

      // And out again: a top-level page right after A.
      await page.getByRole("button", { name: "Outdent B", exact: true }).click();
      await item("A").getByTestId("page-tree-item").waitFor({ state: "detached" });
      await page.reload();
      await tree.getByRole("link", { name: "B", exact: true }).waitFor();
      await disabled("Outdent B");
      assert.equal(await item("A").getByTestId("page-tree-item").count(), 0); // A has no subpages
      assert.deepEqual(await names(), ["A", "B"]);

      // Dragging B by its handle onto A puts it before A.
      await drag("B", "A");
      await waitForNames(["B", "A"]);
      await page.reload();
      await tree.getByRole("link", { name: "A", exact: true }).waitFor();
      assert.deepEqual(await names(), ["B", "A"]);

      // A under B, then B dropped onto A, into its own subtree: the server refuses, in words.
      await page.getByRole("button", { name: "Indent A", exact: true }).click();
      await item("B").getByTestId("page-tree-item").getByRole("link", { name: "A", exact: true }).waitFor();
      await drag("B", "A");
      await tree.getByRole("alert").getByText("Cannot move “B”: a page cannot go under itself or one of its subpages.").waitFor();
      await screenshot(page, "11-cycle-refused");
      await page.reload();
      await item("B").getByTestId("page-tree-item").getByRole("link", { name: "A", exact: true }).waitFor();
    });
  });

  test("first administrator with the setup token", async (t) => {
    await withPage(t, "setup", { admin: false }, async (page, server) => {
      assert.ok(server.setupToken, "the server printed no setup token");
      await page.goto("/login");
      await page.getByRole("link", { name: "Create the administrator" }).click();
      await page.waitForURL(/\/setup$/);

      await page.getByLabel("Setup token").fill(server.setupToken);
      await page.getByLabel("Username").fill("boss");
      const password = page.getByLabel("Password");
      await password.fill("short");
      await page.getByRole("button", { name: "Create administrator" }).click();
      await page.getByText("must be at least 10 bytes long").waitFor();
      assert.equal(await password.getAttribute("aria-invalid"), "true");
      await screenshot(page, "08-setup-weak-password");

      await password.fill("a-long-passphrase");
      await page.getByRole("button", { name: "Create administrator" }).click();
      await page.getByRole("heading", { name: "Workspaces", level: 1 }).waitFor();
      assert.equal(await page.getByTestId("current-user").textContent(), "boss");
    });
  });
});
