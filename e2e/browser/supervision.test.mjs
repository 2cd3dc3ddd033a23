// Supervision end to end in headless Chromium, on a demo bureau (`liuhen demo`, accounts
// with password Liuhen@2026demo): the supervisor 吴芳 makes a plan for her bureau's cases
// with a 5 % proportion, announces its draw, a checkpoint is signed (`liuhen log
// checkpoint`), she makes the draw, fills the sheet of the sampled case (overriding the
// custody check with a note, a finding naming the team), decides a consequence against it,
// and exports the annual assessment as PDF (text checked with pdftotext).
// Screenshots: target/e2e-artifacts/supervision-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, CHROMIUM, launchBrowser, pageHelpers, runCli, startServer } from "./support.mjs";

const PASSWORD = "Liuhen@2026demo";
const FRESH = "Supervision-E2e-2026!";
const GX = "平顶山高新区应急管理局";

let server, work, data, browser, page, problems, consoleErrors;
let go, shot, path, clickAndLoad, signIn, changePassword, keepFailure;

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-supervision-"));
  data = join(work, "data");
  runCli(data, ["demo"]);
  server = await startServer(data);
  ({ browser, page, problems, consoleErrors } = await launchBrowser());
  ({ go, shot, path, clickAndLoad, signIn, changePassword, keepFailure } = pageHelpers(page, server.base));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("a supervisor's plan, 5 % draw, sheet, consequence and annual report", async (t) => {
  try {
    await signIn("wufang", PASSWORD);
    if (path() === "/account/password") await changePassword(PASSWORD, FRESH);
    await clickAndLoad('nav a[href="/supervision"]');
    assert.equal(path(), "/supervision");
    await page.fill("#title", "2026年度执法音像记录抽查");
    await page.fill("#from", "2000-01-01");
    await page.fill("#to", "2099-12-31");
    await page.fill("#units", GX);
    await page.fill("#permille", "50");
    await page.fill("#minimum", "1");
    await shot("supervision-plan-form");
    await clickAndLoad("form#new-plan button[type=submit]");
    assert.match(path(), /^\/supervision\/plans\/[0-9a-f-]{36}$/);
    const plan = path();

    await clickAndLoad("form#announce button[type=submit]");
    assert.equal(path(), plan);
    runCli(data, ["log", "checkpoint"]);
    await clickAndLoad("form#perform button[type=submit]");
    assert.equal(path(), plan);
    // 5 % of the bureau's cases, at least one.
    const sampled = await page.locator("#samples tr td a").count();
    assert.ok(sampled >= 1, `sampled ${sampled}`);
    await shot("supervision-plan-drawn");

    await clickAndLoad("#samples tr td a");
    assert.match(path(), /\/cases\//);
    assert.equal(await page.locator("fieldset.check").count(), 3);
    await page.selectOption("#custody", "fail");
    await page.fill("#custody_note", "调阅登记缺少审批人签字");
    await page.selectOption("#finding_check", "custody");
    await page.fill("#finding_text", "调阅执法音像记录未经审批");
    await shot("supervision-sheet");
    await clickAndLoad("form#sheet button[type=submit]");
    assert.match(await page.locator("#filed").innerText(), /调阅执法音像记录未经审批/);

    await page.fill("form.consequence textarea[name=reasoning]", "未按规定审批调阅");
    await page.fill("form.consequence textarea[name=statement]", "本人对事实无异议");
    await clickAndLoad("form.consequence button[type=submit]");
    assert.match(await page.locator("ul.consequences").innerText(), /书面检查/);
    await shot("supervision-consequence");

    await go("/supervision/assessment?from=2000-01-01&to=2099-12-31");
    assert.match(await page.locator("#assessment").innerText(), new RegExp(GX));
    assert.ok((await page.locator("svg rect").count()) >= 1);
    await shot("supervision-assessment");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#pdf")]);
    const pdf = join(work, "assessment.pdf");
    await download.saveAs(pdf);
    const text = spawnSync("pdftotext", ["-layout", "-enc", "UTF-8", pdf, "-"], { encoding: "utf8" });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /执法音像记录年度考评/);
    assert.match(text.stdout, /书面检查 1/);
    assert.deepEqual(problems, []);
    assert.deepEqual(consoleErrors, []);
  } catch (e) {
    await keepFailure(t.name, server.log());
    throw e;
  }
});
