// A case's own package in headless Chromium, on the demo bureau (issue 19):
//
// a. the records keeper 赵敏 opens a demo case with records, places a preservation hold on
//    its holds page, and builds the long-term preservation package (R3.7) from there;
// b. the case page lists the package (长期保存刻盘) with its disc image, which downloads;
//    xorriso extracts it and `liuhen verify-package` (no data directory) finds it intact,
//    its manifest naming the source and every record of the case;
// c. the package's disc-burn record form opens from the case page;
// d. screenshots go to target/e2e-artifacts/packages-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, CHROMIUM, launchBrowser, pageHelpers, runCli, startServer } from "./support.mjs";

const PASSWORD = "Liuhen@2026demo";
const FRESH = "Keeper-Package-2026!";

let server, work, data, browser, page, helpers;

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  const x = spawnSync("xorriso", ["-version"]);
  assert.equal(x.status, 0, "xorriso missing: apt-get install xorriso");
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-packages-"));
  data = join(work, "data");
  runCli(data, ["demo"], { timeout: 600_000 });
  server = await startServer(data);
  ({ browser, page } = await launchBrowser());
  helpers = pageHelpers(page, server.base);
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    if (server) await server.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }
});

test("packages: a preservation package from the hold page downloads as a verified ISO", { timeout: 600_000 }, async (t) => {
  let failed = false;
  const step = (name, fn) =>
    t.test(name, async (st) => {
      if (failed) return st.skip("an earlier step failed");
      try {
        await fn();
      } catch (e) {
        failed = true;
        await helpers.keepFailure(`packages-${name}`, server.log());
        throw e;
      }
    });
  let caseId, recordIds, iso;

  await step("a. the keeper places a hold and builds the preservation package", async () => {
    await helpers.signIn("zhaomin", PASSWORD);
    if (helpers.path() === "/account/password") await helpers.changePassword(PASSWORD, FRESH);
    await helpers.go("/cases");
    const hrefs = await page.$$eval('a[href^="/cases/"]', (as) => [
      ...new Set(as.map((a) => a.getAttribute("href")).filter((h) => /^\/cases\/[0-9a-f-]{36}$/.test(h))),
    ]);
    for (const href of hrefs) {
      await helpers.go(href);
      const ids = await page.$$eval('a[href^="/records/"]', (as) => [
        ...new Set(as.map((a) => a.getAttribute("href").slice("/records/".length))),
      ]);
      if (ids.length > 0) {
        caseId = href.slice("/cases/".length);
        recordIds = ids;
        break;
      }
    }
    assert.ok(caseId, "a demo case with records");
    await helpers.clickAndLoad("#case-holds");
    await page.selectOption("#hold-ground", "obstruction");
    await page.fill("#hold-note", "当事人拒绝配合调查，需长期保存");
    await helpers.clickAndLoad("#place-hold [type=submit]");
    assert.match(page.url(), /\/holds\?done=placed/);
    await helpers.clickAndLoad("#build-preservation [type=submit]");
    assert.match(page.url(), new RegExp(`/cases/${caseId}\\?done=package`));
    await helpers.shot("packages-built");
  });

  await step("b. the case lists it and its ISO downloads and verifies offline", async () => {
    const row = page.locator("#packages tr.package-preservation");
    assert.equal(await row.count(), 1, "the case lists its preservation package");
    assert.match(await row.textContent(), /长期保存刻盘/);
    const [download] = await Promise.all([page.waitForEvent("download"), row.locator("a.iso-link").click()]);
    iso = join(work, "preservation.iso");
    await download.saveAs(iso);
    const verify = spawnSync(BIN, ["--data-dir", join(work, "none"), "verify-package", iso], { encoding: "utf8" });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /证据包完好/);
    const disc = join(work, "disc");
    const x = spawnSync("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", "/", disc], { encoding: "utf8" });
    assert.equal(x.status, 0, x.stderr);
    const manifest = JSON.parse(readFileSync(join(disc, "data", "manifest.json"), "utf8"));
    assert.equal(manifest.request.kind, "preservation");
    assert.deepEqual(manifest.records.map((r) => r.record).sort(), [...recordIds].sort());
  });

  await step("c. its disc-burn record form opens from the case page", async () => {
    const burn = await page.locator("#packages tr.package-preservation a.burn-link").getAttribute("href");
    await helpers.go(burn);
    assert.match(await page.textContent("h1"), /刻盘存储记录表/);
    assert.ok((await page.locator("#burn-people tr").count()) > 1, "its people are listed");
    await helpers.shot("packages-burn-form");
  });
});
