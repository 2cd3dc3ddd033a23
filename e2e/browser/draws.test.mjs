// A reproducible random draw in headless Chromium, on a demo bureau (`liuhen demo`,
// accounts with password Liuhen@2026demo): the supervisor 吴芳 announces a 5 % sample of
// her bureau's recordings on /draws, a checkpoint is signed (`liuhen log checkpoint`),
// she makes the draw, sees it recompute from the log, prints it (PDF text checked with
// pdftotext), and `liuhen draw verify` agrees. Screenshots: target/e2e-artifacts/draws-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, CHROMIUM, launchBrowser, pageHelpers, runCli, startServer } from "./support.mjs";

const PASSWORD = "Liuhen@2026demo";
const FRESH = "Draws-E2e-2026!";

let server, work, data, browser, page, problems, consoleErrors;
let go, shot, path, clickAndLoad, signIn, changePassword, keepFailure;

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-draws-"));
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

test("a supervisor's random draw of records", async (t) => {
  try {
    await signIn("wufang", PASSWORD);
    if (path() === "/account/password") await changePassword(PASSWORD, FRESH);
    await clickAndLoad('nav a[href="/draws"]');
    assert.equal(path(), "/draws");
    await page.fill("#purpose", "2026年度执法音像记录抽查");
    await page.selectOption("#kind", "records");
    await page.fill("#records_of", "平顶山高新区应急管理局");
    await page.fill("#from", "2000-01-01");
    await page.fill("#to", "2099-12-31");
    await page.fill("#permille", "50");
    await page.fill("#minimum", "1");
    await shot("draws-form");
    await clickAndLoad('form#announce button[type=submit]');
    assert.match(path(), /^\/draws\/[0-9a-f-]{36}$/);
    const id = path().split("/").pop();
    const count = Number(await page.locator("#count").innerText());
    assert.ok(count >= 1, `sample size ${count}`);

    // The seed: the first signed checkpoint after the announcement.
    runCli(data, ["log", "checkpoint"]);
    await clickAndLoad(`form[action="/draws/${id}/perform"] button[type=submit]`);
    assert.equal(path(), `/draws/${id}`);
    assert.match(await page.locator("#verdict").innerText(), /由日志重算，结果一致/);
    assert.equal(await page.locator("#selected li").count(), count);
    await shot("draws-made");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click('a[href$="/pdf"]')]);
    const pdf = join(work, "draw.pdf");
    await download.saveAs(pdf);
    const text = spawnSync("pdftotext", ["-layout", "-enc", "UTF-8", pdf, "-"], { encoding: "utf8" });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /随机抽取记录/);
    assert.match(text.stdout, /核验：由日志重算，结果一致/);

    const verify = spawnSync(BIN, ["--data-dir", data, "draw", "verify", id], { encoding: "utf8" });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);

    await go("/draws");
    assert.match(await page.locator("table.grid").innerText(), /已实施/);
    assert.deepEqual(problems, []);
    assert.deepEqual(consoleErrors, []);
  } catch (e) {
    await keepFailure(t.name, server.log());
    throw e;
  }
});
