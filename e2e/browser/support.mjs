// Shared pieces of the browser end-to-end tests: the real binary on a free port, TOTP codes,
// headless Debian Chromium, and page helpers. Each *.test.mjs file starts its own server in
// its own data directory, so files are independent of each other.
//
// Binary: LIUHEN_E2E_BIN or target/debug/liuhen (scripts/test.sh builds it).
// Browser: LIUHEN_E2E_CHROMIUM or /usr/bin/chromium.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const BIN = process.env.LIUHEN_E2E_BIN || join(root, "target", "debug", "liuhen");
export const CHROMIUM = process.env.LIUHEN_E2E_CHROMIUM || "/usr/bin/chromium";
export const ARTIFACTS = join(root, "target", "e2e-artifacts");

// ---------------------------------------------------------------------------------------
// RFC 6238 TOTP (SHA-1, 6 digits, 30 s).

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const clean = text.toUpperCase().replace(/[^A-Z2-7]/g, "");
  let bits = 0, value = 0;
  const out = [];
  for (const ch of clean) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, "0");
}

/** Codes for steps the server has not accepted yet (it allows one step ahead). */
export function codeSource() {
  const nowStep = () => Math.floor(Date.now() / 1000 / 30);
  let lastStep = -1;
  return async function nextCode(secret) {
    for (;;) {
      const step = Math.max(lastStep + 1, nowStep());
      if (step <= nowStep() + 1) {
        lastStep = step;
        return totp(secret, step);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
}

// ---------------------------------------------------------------------------------------
// The binary.

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs `liuhen --data-dir <dataDir> <args…>` to completion; returns stdout. */
export function runCli(dataDir, args, { timeout = 300_000 } = {}) {
  const r = spawnSync(BIN, ["--data-dir", dataDir, ...args], { encoding: "utf8", timeout });
  assert.equal(r.status, 0, `liuhen ${args.join(" ")} failed (${r.status}):\n${r.stderr || r.error}`);
  return r.stdout;
}

/**
 * Starts `liuhen --data-dir <dataDir> serve` on a free port and waits for /healthz.
 * Returns { base, bootstrapPassword (null when the data directory had accounts), log(), stop() }.
 */
export async function startServer(dataDir) {
  const port = await freePort();
  let log = "";
  const proc = spawn(BIN, ["--data-dir", dataDir, "serve", "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
  });
  // Even if the runner is torn down abruptly, do not leave the server behind.
  process.on("exit", () => {
    if (proc.exitCode === null) proc.kill("SIGKILL");
  });
  proc.stdout.on("data", (b) => (log += b));
  const bootstrapPassword = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
    proc.stderr.on("data", (b) => {
      log += b;
      if (/liuhen 已启动/.test(log)) {
        clearTimeout(timer);
        const m = log.match(/one-time password:\s*(\S+)/);
        resolve(m ? m[1] : null);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${log}`));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    try {
      up = (await fetch(`${base}/healthz`)).ok;
    } catch {}
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(up, "server does not answer /healthz");
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { base, bootstrapPassword, log: () => log, stop };
}

// ---------------------------------------------------------------------------------------
// The browser and the page.

/**
 * Launches headless Chromium with one zh-CN page. `ignoreConsole` filters expected console
 * errors. Returns { browser, context, page, problems, consoleErrors }.
 */
export async function launchBrowser({ ignoreConsole = () => false } = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    ],
  });
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems = []; // uncaught page errors
  const consoleErrors = [];
  page.on("pageerror", (e) => problems.push(`${page.url()}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !ignoreConsole(m.text())) consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  return { browser, context, page, problems, consoleErrors };
}

/** Helpers bound to one page and one server. */
export function pageHelpers(page, base) {
  const go = async (path) => {
    const res = await page.goto(base + path);
    assert.ok(res, `no response for ${path}`);
    return res;
  };
  /** Clicks what submits a form and waits for the page it leads to (after redirects). */
  const clickAndLoad = (selector) => Promise.all([page.waitForEvent("load"), page.click(selector)]);
  return {
    go,
    clickAndLoad,
    path: () => new URL(page.url()).pathname,
    shot: (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true }),
    async signIn(username, password) {
      await go("/login");
      await page.fill("input[name=username]", username);
      await page.fill("input[name=password]", password);
      await clickAndLoad('form[action="/login"] [type=submit]');
    },
    async signOut() {
      await Promise.all([page.waitForURL("**/login"), page.click('.userbox form[action="/logout"] button')]);
    },
    /** The forced password change, then wherever the server sends us next. */
    async changePassword(current, fresh) {
      await page.waitForURL("**/account/password");
      await page.fill("input[name=current_password]", current);
      await page.fill("input[name=new_password]", fresh);
      await page.fill("input[name=confirm_password]", fresh);
      await clickAndLoad('form[action="/account/password"] [type=submit]');
    },
    /** Saves a screenshot, the page's HTML and the server log under a failure name. */
    async keepFailure(name, serverLog) {
      const slug = name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
      await page.screenshot({ path: join(ARTIFACTS, `failure-${slug}.png`), fullPage: true }).catch(() => {});
      writeFileSync(join(ARTIFACTS, `failure-${slug}.html`), await page.content().catch(() => ""));
      writeFileSync(join(ARTIFACTS, `server-${slug}.log`), serverLog);
    },
  };
}
