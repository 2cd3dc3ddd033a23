// The access register and the misconduct alerts in headless Chromium, on a demo bureau
// (`liuhen demo`, accounts with password Liuhen@2026demo):
//
// a. the officer 张伟 opens one of his records (a use the register must show);
// b. the records keeper 赵敏 tries to delete it through the API: refused, and logged;
// c. the archive keeper 徐明 finds the view in 查阅登记簿 and prints the PDF, whose text
//    (pdftotext) carries the title, the bureau and the officer;
// d. the supervisor 吴芳 sees the delete attempt in 违规预警 with its log entry and
//    acknowledges it with a note; it leaves the open list.
// Screenshots go to target/e2e-artifacts/register-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, CHROMIUM, launchBrowser, pageHelpers, runCli, startServer } from "./support.mjs";

const PASSWORD = "Liuhen@2026demo";
const FRESH = "Register-E2e-2026!";

let server, work, browser, page, problems, consoleErrors;
let go, shot, path, clickAndLoad, signIn, signOut, changePassword, keepFailure;

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-register-"));
  runCli(join(work, "data"), ["demo"]);
  server = await startServer(join(work, "data"));
  // The refused DELETE shows up as a failed resource load: expected.
  ({ browser, page, problems, consoleErrors } = await launchBrowser({
    ignoreConsole: (text) => text.includes("status of 403"),
  }));
  ({ go, shot, path, clickAndLoad, signIn, signOut, changePassword, keepFailure } = pageHelpers(
    page,
    server.base,
  ));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function as(username) {
  await signIn(username, PASSWORD);
  if (path() === "/account/password") await changePassword(PASSWORD, FRESH);
}

test("register and alerts", async (t) => {
  try {
    // a. A view by the officer.
    await as("zhangwei");
    await go("/records");
    const link = page.locator('table a[href^="/records/"]').first();
    const href = await link.getAttribute("href");
    const record = href.split("/").pop();
    await clickAndLoad('table a[href^="/records/"]');
    assert.equal(path(), `/records/${record}`);
    await signOut();

    // b. A delete attempt by the keeper (the CSRF token from the page, as the app does).
    await as("zhaomin");
    await go(`/records/${record}`);
    const answer = await page.evaluate(async (id) => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const res = await fetch(`/api/v1/records/${id}`, { method: "DELETE", headers: { "X-CSRF-Token": csrf } });
      return { status: res.status, body: await res.json() };
    }, record);
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.code, "originals_never_deleted");
    assert.match(answer.body.error.message, /不得删除/);
    await signOut();

    // c. The register, and its printable PDF.
    await as("xuming");
    await clickAndLoad('nav a[href="/register"]');
    assert.equal(path(), "/register");
    await page.fill("#person", "张伟");
    await clickAndLoad('form[action="/register"] button[type=submit]');
    const row = page.locator(`table.register tr:has(a[href="/records/${record}"])`).first();
    assert.match(await row.innerText(), /张伟/);
    assert.match(await row.innerText(), /#\d+/);
    await shot("register-list");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click('a[href*="format=pdf"]'),
    ]);
    const pdf = join(work, "register.pdf");
    await download.saveAs(pdf);
    const text = spawnSync("pdftotext", ["-layout", "-enc", "UTF-8", pdf, "-"], { encoding: "utf8" });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /行政执法音像记录查阅登记簿/);
    assert.match(text.stdout, /平顶山高新区应急管理局/);
    assert.match(text.stdout, /张伟/);
    assert.match(text.stdout, /第 1 页/);
    await signOut();

    // d. The alert, acknowledged by the supervisor.
    await as("wufang");
    await clickAndLoad('nav a[href="/alerts"]');
    await go("/alerts?kind=tamper_attempt");
    const alert = page.locator("section.alert").first();
    assert.match(await alert.innerText(), /试图删除或篡改原始记录/);
    assert.match(await alert.innerText(), /赵敏/);
    assert.match(await alert.innerText(), /#\d+/);
    await shot("register-alerts");
    await alert.locator("textarea[name=note]").fill("已核实：误操作，已提醒");
    await clickAndLoad("section.alert form.ack button[type=submit]");
    assert.match(page.url(), /acked=1/);
    assert.equal(await page.locator("section.alert").count(), 0);
    await go("/alerts?kind=tamper_attempt&all=1");
    assert.match(await page.locator("section.alert").first().innerText(), /已核实：误操作，已提醒/);
    await signOut();

    assert.deepEqual(problems, []);
    assert.deepEqual(consoleErrors, []);
  } catch (e) {
    await keepFailure(t.name, server.log());
    throw e;
  }
});
