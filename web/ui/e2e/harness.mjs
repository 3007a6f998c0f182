// End-to-end harness: builds the UI (when stale) and the goflow binary, runs `goflow serve` on a
// free port with a throwaway data dir, and drives Debian's chromium through playwright-core.
// @ts-check
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const uiDir = fileURLToPath(new URL("..", import.meta.url));
export const repoRoot = resolve(uiDir, "..", "..");
export const artifactsDir = join(uiDir, "e2e", "artifacts");

const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * The environment for the children, without the caller's GOFLOW_* settings: a developer's
 * GOFLOW_DATABASE_URL must not point the test server at a real database.
 * @param {Record<string, string>} extra
 */
function childEnv(extra = {}) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GOFLOW_") && v !== undefined) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Runs a command to completion; rejects with its output when it fails.
 * @param {string} cmd @param {string[]} args
 * @param {{ cwd?: string, input?: string, env?: Record<string, string> }} [opts]
 * @returns {Promise<string>} standard output
 */
export function run(cmd, args, opts = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${out}${err}`));
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** @param {string} p @returns {number} the newest modification time under p */
function newestMtime(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(p).reduce((m, name) => Math.max(m, newestMtime(join(p, name))), st.mtimeMs);
}

/** Runs `npm run build` unless dist/index.html is newer than every UI source (as after `make ui`). */
export async function ensureUIBuilt() {
  const index = join(uiDir, "dist", "index.html");
  const sources = ["src", "index.html", "vite.config.ts", "package.json", "tsconfig.json"].map((f) => join(uiDir, f));
  const stale = !existsSync(index) || sources.some((s) => existsSync(s) && newestMtime(s) > statSync(index).mtimeMs);
  if (stale) await run("npm", ["run", "build"], { cwd: uiDir, env: { ...process.env } });
}

/**
 * Builds the goflow binary (embedding web/ui/dist) into dir.
 * @param {string} dir @returns {Promise<string>} the binary's path
 */
export async function buildGoflow(dir) {
  const bin = join(dir, "goflow");
  await run("go", ["build", "-o", bin, "./cmd/goflow"], { cwd: repoRoot, env: { ...process.env } });
  return bin;
}

/**
 * @typedef {object} Server
 * @property {string} baseUrl http://127.0.0.1:<port>
 * @property {{ username: string, password: string } | undefined} admin the account created before start
 * @property {string | undefined} setupToken printed when the store had no account
 * @property {() => Promise<void>} stop
 * @property {string} dataDir the server's --data-dir
 * @property {() => Promise<void>} halt stops the process (SIGTERM) and keeps the data dir, for restart
 * @property {() => Promise<void>} restart starts `goflow serve` again on the same address, data dir
 *   and secret key (after halt), and waits for /readyz
 */

/**
 * One `goflow serve` process: its exit, and the address it listens on (from its log).
 * @param {string} bin @param {string[]} args @param {Record<string, string>} env
 * @param {import("node:fs").WriteStream} log written to, never ended here
 * @param {(token: string) => void} onSetupToken
 */
function spawnServe(bin, args, env, log, onSetupToken) {
  const child = spawn(bin, ["serve", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log, { end: false });
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));
  /** @type {Promise<string>} */
  const listening = new Promise((res, reject) => {
    const lines = createInterface({ input: child.stderr });
    lines.on("line", (line) => {
      log.write(line + "\n");
      let rec;
      try {
        rec = JSON.parse(line);
      } catch {
        return; // not a log record
      }
      if (typeof rec.setupToken === "string") onSetupToken(rec.setupToken);
      if (rec.msg === "http server listening") res(String(rec.addr));
    });
    exited.then((e) => reject(new Error(`goflow serve exited before listening: ${JSON.stringify(e)}; see ${log.path}`)));
  });
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return { listening, kill };
}

/**
 * Starts `goflow serve` on a free port (the kernel picks it: --addr 127.0.0.1:0, read back from
 * the "http server listening" log record) with a temp data dir, and waits for /readyz.
 * @param {string} bin
 * @param {{ admin?: boolean, name?: string }} [opts] admin (default true): create an administrator first
 * @returns {Promise<Server>}
 */
export async function startServer(bin, opts = {}) {
  const dir = await mkdtemp(join(tmpdir(), "goflow-e2e-"));
  const dataDir = join(dir, "data");
  const env = childEnv({ GOFLOW_SECRET_KEY: randomBytes(32).toString("hex") });
  const common = ["--data-dir", dataDir, "--log-format", "json"];

  /** @type {Server["admin"]} */
  let admin;
  if (opts.admin ?? true) {
    admin = { username: "admin", password: "e2e-" + randomBytes(12).toString("hex") };
    await run(bin, ["user", "create", "--admin", "--username", admin.username, "--password-stdin", ...common], {
      input: admin.password + "\n",
      env,
    });
  }

  mkdirSync(artifactsDir, { recursive: true });
  const log = createWriteStream(join(artifactsDir, `goflow-${opts.name ?? "serve"}.log`));
  /** @type {string | undefined} */
  let setupToken;
  const onSetupToken = (/** @type {string} */ t) => (setupToken = t);
  let proc = spawnServe(bin, ["--addr", "127.0.0.1:0", ...common], env, log, onSetupToken);

  const halt = () => proc.kill();
  const stop = async () => {
    await proc.kill();
    log.end();
    await rm(dir, { recursive: true, force: true });
  };

  /** @type {string} */
  let addr;
  try {
    addr = await withTimeout(proc.listening, 30_000, "goflow serve to listen");
    await waitReady(`http://${addr}`, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const baseUrl = `http://${addr}`;

  const restart = async () => {
    await proc.kill();
    log.write(`--- e2e harness: restarting goflow serve on ${addr} ---\n`);
    proc = spawnServe(bin, ["--addr", addr, ...common], env, log, onSetupToken);
    try {
      const again = await withTimeout(proc.listening, 30_000, "restarted goflow serve to listen");
      if (again !== addr) throw new Error(`restarted goflow serve listens on ${again}, not ${addr}`);
      await waitReady(baseUrl, 30_000);
    } catch (err) {
      await proc.kill();
      throw err;
    }
  };

  return { baseUrl, admin, setupToken, stop, dataDir, halt, restart };
}

/** @param {string} baseUrl @param {number} ms */
async function waitReady(baseUrl, ms) {
  const deadline = Date.now() + ms;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(baseUrl + "/readyz");
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${baseUrl}/readyz not ready after ${ms} ms: ${last}`);
}

/**
 * @template T
 * @param {Promise<T>} p @param {number} ms @param {string} what
 * @returns {Promise<T>}
 */
function withTimeout(p, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The chromium executable: $CHROMIUM_PATH, or Debian's. */
export const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/**
 * Launches headless chromium, or answers undefined when it is not installed. In CI (env CI set)
 * a missing chromium throws instead, so that the tests fail rather than skip.
 * @returns {Promise<import("playwright-core").Browser | undefined>}
 */
export async function launchBrowser() {
  if (!existsSync(chromiumPath)) {
    const msg = `chromium not found at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
    if (process.env.CI) throw new Error(msg);
    console.warn(msg + ": skipping the browser tests");
    return undefined;
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

/**
 * Saves a full-page screenshot as e2e/artifacts/<name>.png.
 * @param {import("playwright-core").Page} page @param {string} name
 */
export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
}

/**
 * Sets up a describe block's shared parts: the UI build, the goflow binary (in a temp dir removed
 * afterwards) and the browser (undefined when chromium is missing outside CI: tests then skip).
 * Call it inside describe; read bin and browser inside the tests.
 * @returns {{ readonly bin: string, readonly browser: import("playwright-core").Browser | undefined }}
 */
export function e2eSuite() {
  let workDir = "";
  let bin = "";
  /** @type {import("playwright-core").Browser | undefined} */
  let browser;
  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), "goflow-e2e-bin-"));
    await ensureUIBuilt();
    bin = await buildGoflow(workDir);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });
  return {
    get bin() {
      return bin;
    },
    get browser() {
      return browser;
    },
  };
}
