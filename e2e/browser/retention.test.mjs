// Preservation hold and the disposal list in headless Chromium, on the demo bureau:
//
// a. the records keeper 赵敏 archives two ordinary-class demo cases, opens one's holds page
//    and places a hold on the ground "当事人逃避、拒绝、阻挠执法…" with a note;
// b. the server is restarted six years later (a `test-clock` build, LIUHEN_TEST_CLOCK_OFFSET_DAYS;
//    release builds cannot move their clock) and the keeper's disposal list (销毁清册) shows
//    the other archived case's records (5 years from 1 January after archiving have passed)
//    but none of the held case's records;
// c. screenshots go to target/e2e-artifacts/retention-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, CHROMIUM, launchBrowser, pageHelpers, runCli, startServer } from "./support.mjs";

const PASSWORD = "Liuhen@2026demo";
const FRESH = "Keeper-Holds-2026!";
const FRESHER = "Keeper-Holds-2032!";

let server, work, data, browser, page, helpers;

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen --features test-clock`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-retention-"));
  data = join(work, "data");
  runCli(data, ["demo"], { timeout: 600_000 });
  delete process.env.LIUHEN_TEST_CLOCK_OFFSET_DAYS;
  server = await startServer(data);
  ({ browser, page } = await launchBrowser());
  helpers = pageHelpers(page, server.base);
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    if (server) await server.stop();
    delete process.env.LIUHEN_TEST_CLOCK_OFFSET_DAYS;
    if (work) rmSync(work, { recursive: true, force: true });
  }
});

/** Signs in as the keeper, answering a forced password change. Returns the password in use. */
async function keeperSignsIn(password, next) {
  await helpers.signIn("zhaomin", password);
  if (helpers.path() === "/account/password") {
    await helpers.changePassword(password, next);
    return next;
  }
  return password;
}

test("retention: a held case's records stay off the disposal list six years later", { timeout: 600_000 }, async (t) => {
  let failed = false;
  const step = (name, fn) =>
    t.test(name, async (st) => {
      if (failed) return st.skip("an earlier step failed");
      try {
        await fn();
      } catch (e) {
        failed = true;
        await helpers.keepFailure(`retention-${name}`, server.log());
        throw e;
      }
    });
  let password = PASSWORD;
  let heldCase, controlCase;

  await step("a. the keeper archives two cases and places a hold on one", async () => {
    password = await keeperSignsIn(password, FRESH);
    await helpers.go("/cases");
    const hrefs = await page.$$eval('a[href^="/cases/"]', (as) => [
      ...new Set(as.map((a) => a.getAttribute("href")).filter((h) => /^\/cases\/[0-9a-f-]{36}$/.test(h))),
    ]);
    // Cases of the ordinary class (5 years: none of the longer classes' flags set) with records.
    const ordinary = [];
    for (const href of hrefs) {
      await helpers.go(href);
      const ids = await page.$$eval('a[href^="/records/"]', (as) => [
        ...new Set(as.map((a) => a.getAttribute("href").slice("/records/".length))),
      ]);
      const longer = await page.$$eval('form[action$="/flags"]', (fs) =>
        fs.some((f) => {
          const flag = f.querySelector("input[name=flag]").value;
          const set = f.querySelector("input[name=value]").value === "0";
          return set && ["hearing", "enforced_execution", "complex", "major_penalty"].includes(flag);
        }),
      );
      if (ids.length > 0 && !longer) ordinary.push({ id: href.slice("/cases/".length), ids });
    }
    assert.ok(ordinary.length >= 2, `two ordinary demo cases with records, found ${ordinary.length}`);
    ordinary.sort((a, b) => b.ids.length - a.ids.length);
    [heldCase, controlCase] = ordinary;
    for (const c of [heldCase, controlCase]) {
      await helpers.go(`/cases/${c.id}/edit`);
      await page.selectOption("#status", "archived");
      await page.fill("#reason", "办结归档");
      await helpers.clickAndLoad('form[method="post"] button[type=submit]');
      assert.match(page.url(), new RegExp(`/cases/${c.id}\\?done=edited`));
    }
    await helpers.go(`/cases/${heldCase.id}`);
    await helpers.clickAndLoad("#case-holds");
    await page.selectOption("#hold-ground", "obstruction");
    await page.fill("#hold-note", "当事人拒绝配合调查，暴力阻挠执法");
    await helpers.clickAndLoad("#place-hold [type=submit]");
    assert.match(page.url(), /\/holds\?done=placed/);
    assert.match(await page.textContent("#holds"), /当事人拒绝配合调查/);
    await helpers.shot("retention-hold");
  });

  await step("b. six years later the disposal list leaves the held records out", async () => {
    await server.stop();
    process.env.LIUHEN_TEST_CLOCK_OFFSET_DAYS = String(6 * 366);
    server = await startServer(data);
    helpers = pageHelpers(page, server.base);
    await page.context().clearCookies();
    password = await keeperSignsIn(password, FRESHER);
    await helpers.go("/disposal");
    assert.match(await page.textContent("h1"), /销毁清册/);
    const listed = await page.$$eval("#disposal-list a[href^='/records/']", (as) =>
      as.map((a) => a.getAttribute("href").slice("/records/".length)),
    );
    assert.ok(listed.length > 0, "records whose retention has ended are listed");
    for (const id of heldCase.ids) assert.ok(!listed.includes(id), `held record ${id} is listed`);
    assert.ok(
      controlCase.ids.some((id) => listed.includes(id)),
      "the records of the other archived case, ordinary and unheld, are due",
    );
    await helpers.shot("retention-disposal");
  });
});
