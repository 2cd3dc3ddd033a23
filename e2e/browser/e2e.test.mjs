// The whole web UI in headless Chromium (Debian's /usr/bin/chromium driven by npm
// playwright-core; never `npx playwright install`), against the real binary:
//
//   liuhen --data-dir <tmp> serve --listen 127.0.0.1:<free port>
//
// a. the bootstrap administrator signs in with the one-time password printed on stderr,
//    changes it, enrols TOTP (codes computed here, RFC 6238), signs out and in with a code;
// b. creates a unit and an officer (张伟), reads the officer's one-time password;
// c. the officer signs in and changes the password;
// d. uploads an ffmpeg-made H.264/AAC video; the first PATCH is cut off half-way (the
//    bytes that arrived stay on the server) and tus-js-client resumes from there;
// e. finds it on /records by a two-character Chinese query and opens it;
// f. plays, seeks, pauses; the playback report is logged and shows in the audit trail;
// g. screenshots of the main pages go to target/e2e-artifacts/*.png.
//
// Shared helpers (binary, browser, TOTP): support.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, CHROMIUM, codeSource, launchBrowser, pageHelpers, startServer } from "./support.mjs";

const ADMIN_PASSWORD = "Custody-E2e-2024!";
const OFFICER = { username: "zhangwei", name: "张伟", password: "Officer-Liuhen-77!" };
const UNIT = "平顶山高新区应急管理局";
const CASE_NAME = "某化工有限公司安全生产检查";
const PARTY = "某化工有限公司";
const QUERY = "化工";
const FILE_NAME = "现场执法记录.mp4";

let server, work, base, bootstrapPassword, browser, context, page;
let problems, consoleErrors;
let go, shot, path, clickAndLoad, signIn, signOut, changePassword, keepFailure;
const nextCode = codeSource();

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-browser-"));
  const video = join(work, FILE_NAME);
  const ff = spawnSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=duration=20:size=640x360:rate=25",
    "-f", "lavfi", "-i", "sine=duration=20",
    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart",
    video,
  ], { encoding: "utf8", timeout: 60_000 });
  assert.equal(ff.status, 0, `ffmpeg failed: ${ff.stderr || ff.error}`);
  server = await startServer(join(work, "data"));
  ({ base, bootstrapPassword } = server);
  // The forced interruption of the upload shows up as a reset connection: expected.
  ({ browser, context, page, problems, consoleErrors } = await launchBrowser({
    ignoreConsole: (text) => text.includes("ERR_CONNECTION_RESET"),
  }));
  ({ go, shot, path, clickAndLoad, signIn, signOut, changePassword, keepFailure } = pageHelpers(page, base));
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    if (server) await server.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }
});

test("browser: sign-in with TOTP, accounts, interrupted upload, search, playback audit", { timeout: 170_000 }, async (t) => {
  // A failed step skips the later ones, except those marked `afterAccounts`, which only
  // need the accounts of steps a–c (so their screenshots are still taken).
  let failed = false;
  let accountsReady = false;
  const step = (name, fn, { afterAccounts = false } = {}) =>
    t.test(name, async (st) => {
      if (afterAccounts ? !accountsReady : failed) return st.skip("an earlier step failed");
      try {
        await fn();
      } catch (e) {
        failed = true;
        await keepFailure(name, server.log());
        throw e;
      }
    });

  let secret;
  await step("a. sysadmin: one-time password → new password → TOTP enrolment → sign out → sign in with a code", async () => {
    await go("/");
    await page.waitForURL("**/login");
    await shot("01-login");
    await signIn("sysadmin", bootstrapPassword);
    await changePassword(bootstrapPassword, ADMIN_PASSWORD);
    // Administrators must enrol a second factor before anything else.
    await page.waitForURL("**/account/totp");
    if (await page.locator("#totp-secret").count() === 0) {
      await clickAndLoad('form[action="/account/totp/start"] [type=submit]');
    }
    secret = (await page.locator("#totp-secret").innerText()).trim();
    assert.match(secret.replace(/\s/g, ""), /^[A-Z2-7]+=*$/, "a base32 secret is shown");
    assert.match(await page.locator("#totp-uri").innerText(), /^otpauth:\/\/totp\//);
    await shot("02-account-totp-enrolment");
    await page.fill('form[action="/account/totp/confirm"] input[name=code]', await nextCode(secret));
    await Promise.all([page.waitForURL("**/account"), page.click('form[action="/account/totp/confirm"] [type=submit]')]);
    await shot("03-account");
    await signOut();
    await signIn("sysadmin", ADMIN_PASSWORD);
    assert.equal(path(), "/login", "the password alone does not sign an administrator in");
    await page.fill('form[action="/login/code"] input[name=code]', await nextCode(secret));
    await Promise.all([page.waitForURL((u) => u.pathname === "/"), page.click('form[action="/login/code"] [type=submit]')]);
    assert.ok(await page.getByRole("link", { name: "用户管理" }).isVisible(), "system administrator menu");
    await shot("04-home");
  });

  let officerOneTime;
  await step("b. sysadmin creates the unit and the officer 张伟 and reads the one-time password", async () => {
    await go("/admin/org");
    await page.fill('form[action="/admin/org"] input[name=unit]', UNIT);
    await clickAndLoad('form[action="/admin/org"] [type=submit]');
    assert.ok(await page.getByRole("cell", { name: UNIT }).first().isVisible(), "unit listed");
    await go("/admin/users");
    const form = 'form[action="/admin/users"]';
    await page.fill(`${form} input[name=username]`, OFFICER.username);
    await page.fill(`${form} input[name=display_name]`, OFFICER.name);
    await page.fill(`${form} input[name=unit]`, UNIT);
    await page.check(`${form} input[name=roles][value=officer]`);
    await clickAndLoad(`${form} [type=submit]`);
    const flash = page.locator("#issued-password");
    await flash.waitFor();
    officerOneTime = (await flash.innerText()).trim();
    assert.ok(officerOneTime.length >= 10, "a one-time password is shown");
    assert.ok(await page.getByRole("cell", { name: OFFICER.name, exact: true }).isVisible());
    await shot("05-admin-users");
    await signOut();
  });

  await step("c. the officer signs in with the one-time password and must change it", async () => {
    await signIn(OFFICER.username, officerOneTime);
    await changePassword(officerOneTime, OFFICER.password);
    assert.equal(path(), "/account");
    assert.ok(await page.getByText(UNIT).first().isVisible(), "the officer's unit");
    accountsReady = true;
  });

  let recordId;
  await step("d. upload with a forced interruption half-way and a resume", async () => {
    await go("/upload");
    await page.locator("#upload-form").waitFor();
    // tus-js-client must have loaded (the page disables the form otherwise).
    await page.waitForFunction(() => window.tus && window.tus.isSupported);
    const file = join(work, FILE_NAME);
    const size = statSync(file).size;
    const patches = []; // Upload-Offset of every PATCH the page sends
    let cut = null;
    await page.route("**/api/v1/uploads/**", async (route) => {
      const req = route.request();
      if (req.method() !== "PATCH") return route.continue();
      const headers = req.headers();
      patches.push(Number(headers["upload-offset"]));
      if (cut) return route.continue();
      // The first PATCH: half of its body reaches the server, then the connection drops.
      cut = await halfThenDrop(req.url(), headers, req.postDataBuffer());
      await route.abort("connectionreset");
    });
    await page.setInputFiles("#upload-form input[type=file]", file);
    await page.fill("#upload-form input[name=case_name]", CASE_NAME);
    await page.fill("#upload-form input[name=party]", PARTY);
    await page.fill("#upload-form input[name=device]", "DSJ-E2E-01");
    assert.equal(await page.inputValue("#upload-form input[name=officer]"), OFFICER.name, "officer prefilled");
    await shot("06-upload-form");
    await page.click("#upload-form [type=submit]");
    const row = page.locator("#upload-list tbody tr").filter({ hasText: FILE_NAME });
    const done = await page.locator("#upload-strings").getAttribute("data-done");
    await row.locator(".state").filter({ hasText: done }).waitFor({ timeout: 60_000 });
    await shot("07-upload-done");
    const leftover = await row.locator("button").evaluateAll((bs) => bs.filter((b) => b.hidden && b.offsetParent !== null).length);
    if (leftover) t.diagnostic(`upload page: ${leftover} button(s) marked hidden are still shown after completion (CSS display overrides [hidden])`);
    assert.ok(cut, "the first PATCH was interrupted");
    assert.ok(cut.stored > 0 && cut.stored < size, `part of the file arrived before the cut (${cut.stored} of ${size})`);
    assert.ok(patches.length >= 2, `the upload was resumed (PATCH offsets ${patches})`);
    assert.equal(patches.at(-1), cut.stored, `it resumed where the server stopped (PATCH offsets ${patches})`);
    t.diagnostic(`upload: ${size} bytes; first PATCH cut after ${cut.half} bytes sent, server kept ${cut.stored}; PATCH offsets ${patches.join(", ")}`);
    const href = await row.getByRole("link").getAttribute("href");
    recordId = href.split("/").pop();
    assert.ok(recordId, "link to the new record");
    await page.unroute("**/api/v1/uploads/**");
  });

  await step(`e. search /records for “${QUERY}” and open the record`, async () => {
    await go("/records");
    const search = async (q) => {
      const answered = page.waitForResponse((r) => r.url().includes(`q=${encodeURIComponent(q)}`) && r.status() === 200);
      await page.fill("input[name=q]", q);
      await page.press("input[name=q]", "Enter");
      await answered;
      await page.waitForLoadState("load");
    };
    // Another two-character query finds nothing: the search does filter.
    await search("消防");
    await page.locator("#results").getByText("没有符合条件的记录").waitFor();
    await search(QUERY);
    const link = page.locator("#results a", { hasText: CASE_NAME }).first();
    await link.waitFor();
    assert.equal(await page.locator("#results tbody tr").count(), 1, "one match");
    await shot("08-records-search");
    await Promise.all([page.waitForURL(`**/records/${recordId}`), link.click()]);
    assert.ok(await page.getByRole("heading", { level: 1 }).isVisible());
    assert.ok(await page.getByText(CASE_NAME).first().isVisible());
  });

  await step("f. play, seek, pause; the playback report is logged and shown in the trail", async () => {
    const video = page.locator(".player video");
    if ((await video.count()) === 0) {
      const reason = (await page.locator(".player").innerText().catch(() => "")).trim();
      assert.fail(`the record page has no <video> in .player (shown instead: “${reason}”)`);
    }
    await page.waitForFunction(() => document.querySelector(".player video").readyState >= 1, null, { timeout: 20_000 });
    const report = page.waitForResponse((r) => r.url().endsWith(`/api/v1/records/${recordId}/playback`) && r.request().method() === "POST", { timeout: 30_000 });
    await page.evaluate(() => {
      const v = document.querySelector(".player video");
      v.muted = true; // no autoplay objection in a headless browser
      v.play().catch(() => {});
    });
    await page.waitForFunction(() => document.querySelector(".player video").currentTime > 1.5).catch(async (e) => {
      const state = await page.evaluate(() => {
        const v = document.querySelector(".player video");
        return { src: v.currentSrc, readyState: v.readyState, networkState: v.networkState, paused: v.paused, error: v.error && v.error.message, time: v.currentTime };
      });
      throw new Error(`the video does not play: ${JSON.stringify(state)}; ${e.message}`);
    });
    await page.evaluate(() => (document.querySelector(".player video").currentTime = 12));
    await page.waitForFunction(() => {
      const v = document.querySelector(".player video");
      return !v.seeking && v.currentTime > 13;
    });
    await page.evaluate(() => document.querySelector(".player video").pause());
    // The report is a `keepalive` fetch: DevTools cannot read its response body, only
    // its status; what it logged is checked in the trail below.
    const res = await report;
    assert.equal(res.status(), 200, "the playback report is accepted");
    const sent = JSON.parse(res.request().postData());
    assert.ok(sent.intervals.length >= 2, `the seek split the intervals: ${JSON.stringify(sent.intervals)}`);
    const watched = sent.intervals.reduce((sum, [a, b]) => sum + (b - a), 0);
    assert.ok(watched > 2, `seconds reported: ${JSON.stringify(sent.intervals)}`);
    await shot("09-record-player");
    await page.reload();
    const trail = page.locator("table tr").filter({ hasText: "播放记录" });
    await trail.first().waitFor();
    assert.ok(await trail.filter({ hasText: OFFICER.name }).count() >= 1, "the officer's playback is in the trail");
    // The same through the JSON API, with the session.
    const api = await page.request.get(`${base}/api/v1/records/${recordId}`);
    assert.equal(api.status(), 200);
    const view = await api.json();
    assert.equal(view.record.case_name, CASE_NAME);
    assert.ok(view.trail.some((e) => e.action === "record.played"), "record.played in the API trail");
    await shot("10-record-trail");
  });

  await step("g. remaining screenshots: account, API documentation", async () => {
    await go("/upload");
    await shot("13-upload-page");
    await go("/account");
    await shot("11-account-officer");
    await go("/api/docs");
    assert.ok(await page.getByRole("heading", { level: 1 }).filter({ hasText: "接口文档" }).isVisible());
    await shot("12-api-docs");
  }, { afterAccounts: true });

  for (const e of consoleErrors) t.diagnostic(`browser console: ${e}`);
  assert.deepEqual(problems, [], "uncaught errors in the pages");
});

/**
 * Sends the first `stored` bytes of a PATCH with the full Content-Length on a raw socket,
 * waits until the server has them, then resets the connection: a dropped connection.
 */
async function halfThenDrop(url, headers, body) {
  const u = new URL(url);
  const cookies = await context.cookies(base);
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  const half = Math.floor(body.length / 2);
  const head = [
    `PATCH ${u.pathname} HTTP/1.1`,
    `Host: ${u.host}`,
    `Tus-Resumable: ${headers["tus-resumable"]}`,
    `Upload-Offset: ${headers["upload-offset"]}`,
    "Content-Type: application/offset+octet-stream",
    `Content-Length: ${body.length}`,
    `X-CSRF-Token: ${headers["x-csrf-token"]}`,
    `Cookie: ${cookie}`,
    "", "",
  ].join("\r\n");
  const socket = net.connect(Number(u.port), u.hostname);
  await new Promise((r, j) => socket.once("connect", r).once("error", j));
  socket.write(head);
  await new Promise((r) => socket.write(body.subarray(0, half), r));
  await new Promise((r) => setTimeout(r, 500));
  socket.resetAndDestroy();
  // The server keeps what arrived; wait until it has settled.
  let stored = 0;
  for (let i = 0; i < 50; i++) {
    const res = await fetch(url, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0", Cookie: cookie } });
    const offset = Number(res.headers.get("upload-offset") || 0);
    if (res.status === 200 && offset > 0 && offset === stored) break;
    stored = offset;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { stored, half };
}
