// The offload station's kiosk page (issue 15). On a demo bureau (`liuhen demo`, accounts
// with password Liuhen@2026demo): the records keeper 赵敏 binds an unknown camera to her
// unit and its officer 张伟 (`liuhen station bind`, through the policy); a simulated camera
// (a DCIM tree with GA/T 947 names) appears under a watched root; one `liuhen station scan`
// sees it (files just written: nothing stable yet) and `/station` shows the slot's progress, 0/3 and no unplug
// message; the next scan offloads everything and the page says 可以拔出.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, CHROMIUM, launchBrowser, pageHelpers, runCli, startServer } from "./support.mjs";

const PASSWORD = "Liuhen@2026demo";
const FRESH = "Station-E2e-2026!";
const UNIT = "平顶山高新区应急管理局";
const SERIAL = "DSJE2E01";

let server, work, data, root, dcim, browser, page, problems, consoleErrors;
let go, path, signIn, changePassword, keepFailure, shot;

/** YYYYMMDDhhmmss in the bureau's +08:00, `minutesAgo` before now. */
function cameraTime(minutesAgo) {
  const t = new Date(Date.now() - minutesAgo * 60_000 + 8 * 3600_000);
  return t.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

function scan() {
  return runCli(data, ["--break-glass", "zhangwei", "--break-glass-reason", "e2e station", "station", "scan", "--root", root]);
}

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-station-"));
  data = join(work, "data");
  root = join(work, "media");
  runCli(data, ["demo"]);
  runCli(data, [
    "--break-glass", "zhaomin", "--break-glass-reason", "e2e", "station", "bind", "--serial", SERIAL, "--unit", UNIT, "--officer", "张伟",
  ]);
  dcim = join(root, "usb0", "DCIM", "100MEDIA");
  mkdirSync(dcim, { recursive: true });
  for (let i = 1; i <= 3; i++) {
    writeFileSync(join(dcim, `${SERIAL}_010001_${cameraTime(90 - i)}_000${i}.MP4`), `recording ${i} `.repeat(1000 * i));
  }
  scan();
  server = await startServer(data);
  ({ browser, page, problems, consoleErrors } = await launchBrowser());
  ({ go, path, signIn, changePassword, keepFailure, shot } = pageHelpers(page, server.base));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the station page shows a slot's progress, then the unplug message", async (t) => {
  try {
    await signIn("zhangwei", PASSWORD);
    if (path() === "/account/password") await changePassword(PASSWORD, FRESH);
    await go("/station");
    const slot = page.locator("section.slot");
    assert.equal(await slot.count(), 1);
    assert.equal((await slot.locator(".slot-camera").innerText()).trim(), SERIAL);
    assert.match(await slot.locator(".slot-officer").innerText(), /张伟/);
    assert.equal((await slot.locator(".slot-files").innerText()).trim(), "0/3");
    assert.doesNotMatch(await slot.locator(".slot-message").innerText(), /可以拔出/);
    await shot("station-progress");

    // The camera finished writing: the files were last written 10 minutes ago, longer than
    // stable_scans × poll_seconds, so the next one-shot scan takes them.
    const done = new Date(Date.now() - 600_000);
    for (const f of readdirSync(dcim)) utimesSync(join(dcim, f), done, done);
    scan();
    // The page reloads itself every 2 seconds: wait for it to show the finished slot.
    await page.waitForFunction(() => document.querySelector(".slot-files")?.innerText.trim() === "3/3", null, { timeout: 30_000 });
    await page.waitForLoadState("load");
    assert.equal((await slot.locator(".slot-files").innerText()).trim(), "3/3");
    assert.equal(await slot.getAttribute("data-state"), "done");
    assert.match(await slot.locator(".slot-message").innerText(), /可以拔出/);
    await shot("station-done");
    assert.deepEqual(problems, []);
    assert.deepEqual(consoleErrors, []);
  } catch (e) {
    await keepFailure(t.name, server.log());
    throw e;
  }
});
