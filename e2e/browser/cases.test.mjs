// Cases in headless Chromium against the real binary, on the demo bureau (`liuhen demo`):
//
// a. officer 张伟 creates a case on /cases/new and adds a hearing step (row 1.1 of the
//    checklist, full-process video) for a time in the past;
// b. the case page shows the violation, explained in Chinese (no recording linked);
// c. a video covering the hearing is ingested (CLI); the record picker proposes it (officer
//    and time overlap), he confirms, and the case page shows the step as compliant;
// d. screenshots of the case pages and the unit dashboard go to target/e2e-artifacts/cases-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, CHROMIUM, launchBrowser, pageHelpers, runCli, startServer } from "./support.mjs";

const PASSWORD = "Liuhen@2026demo";
const UNIT = "平顶山高新区应急管理局";
const NUMBER = "平高应急罚〔2026〕E2E号";
const FILE = "听证会全程录像.mp4";

let server, work, data, browser, page, problems, consoleErrors;
let go, shot, clickAndLoad, signIn, changePassword, keepFailure;
// The hearing: a whole minute two hours ago, in the bureau's time (+08:00).
const minute = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3600_000;
const local = (ms) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 16);

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-cases-"));
  data = join(work, "data");
  runCli(data, ["demo"], { timeout: 600_000 });
  server = await startServer(data);
  ({ browser, page, problems, consoleErrors } = await launchBrowser());
  ({ go, shot, clickAndLoad, signIn, changePassword, keepFailure } = pageHelpers(page, server.base));
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    if (server) await server.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }
});

test("cases: a hearing without video is a violation until a covering video is linked", { timeout: 600_000 }, async (t) => {
  let failed = false;
  const step = (name, fn) =>
    t.test(name, async (st) => {
      if (failed) return st.skip("an earlier step failed");
      try {
        await fn();
      } catch (e) {
        failed = true;
        await keepFailure(`cases-${name}`, server.log());
        throw e;
      }
    });

  await step("a. create a case with a hearing step", async () => {
    await signIn("zhangwei", PASSWORD);
    if (new URL(page.url()).pathname === "/account/password") {
      await changePassword(PASSWORD, "Officer-Cases-2026!");
    }
    await go("/cases");
    assert.match(await page.textContent("h1"), /案件/);
    await clickAndLoad('a[href="/cases/new"]');
    await page.fill("#number", NUMBER);
    await page.fill("#name", "某化工有限公司未按规定开展隐患排查案");
    await page.selectOption("#category", "penalty");
    assert.equal(await page.inputValue("#agency"), UNIT);
    await page.fill("#department", "执法监察大队");
    assert.equal(await page.inputValue("#team"), "张伟");
    await page.fill('input[name="party_name"] >> nth=0', "平顶山市某化工有限公司");
    await page.fill('input[name="party_code"] >> nth=0', "91410400MA00000000");
    await clickAndLoad('form[action="/cases"] [type=submit]');
    assert.match(page.url(), /\/cases\/[0-9a-f-]+\?done=created/);
    await page.selectOption("#s_row", "1.1");
    await page.fill("#s_name", "听证会");
    await page.fill("#s_start", local(minute));
    await page.fill("#s_end", local(minute + 60_000));
    await page.fill("#s_place", "局三楼听证室");
    await clickAndLoad('#add-step [type=submit]');
    assert.match(page.url(), /done=step/);
  });

  await step("b. the case page shows the violation", async () => {
    const step = page.locator(".step", { hasText: "听证会" });
    assert.match(await step.textContent(), /违规/);
    assert.match(await step.textContent(), /没有关联任何记录/);
    assert.match(await page.textContent("#case-level"), /违规/);
    await shot("cases-violation");
    const caseUrl = page.url();
    await clickAndLoad('a:has-text("合规检查报告")');
    assert.match(await page.textContent("#verdicts"), /听证会[\s\S]*违规/);
    await shot("cases-compliance");
    await go("/cases");
    assert.match(await page.textContent("#case-list"), new RegExp(NUMBER.replace(/[〔〕]/g, ".")));
    await shot("cases-list");
    await go("/cases/dashboard");
    assert.match(await page.textContent("#findings"), /听证会/);
    await shot("cases-dashboard-violation");
    await page.goto(caseUrl);
  });

  await step("c. linking a covering recording clears it", async () => {
    const video = join(work, FILE);
    const start = new Date(minute - 2000).toISOString().replace(/\.\d+Z$/, "Z");
    const ff = spawnSync("ffmpeg", [
      "-hide_banner", "-loglevel", "error", "-y",
      "-f", "lavfi", "-i", "testsrc2=duration=64:size=320x180:rate=5",
      "-c:v", "libx264", "-pix_fmt", "yuv420p", "-metadata", `creation_time=${start}`,
      video,
    ], { encoding: "utf8", timeout: 120_000 });
    assert.equal(ff.status, 0, `ffmpeg failed: ${ff.stderr || ff.error}`);
    // The CLI opens the same data directory while the server runs (SQLite, WAL).
    // The CLI acts as an account (issue 11): the records keeper, break-glass on the console.
    runCli(data, ["--break-glass", "zhaomin", "--break-glass-reason", "e2e", "ingest", video, "--officer", "张伟", "--agency", UNIT, "--device", "DSJ-GX-01",
      "--case-name", "某化工有限公司未按规定开展隐患排查案", "--party", "平顶山市某化工有限公司"]);
    await clickAndLoad('a:has-text("关联音像记录")');
    const proposal = page.locator("#proposals tr", { hasText: FILE });
    assert.match(await proposal.textContent(), /本环节执法人员/);
    await shot("cases-picker");
    await clickAndLoad(`#proposals tr:has-text("${FILE}") button`);
    assert.match(page.url(), /done=linked/);
    const step = page.locator(".step", { hasText: "听证会" });
    assert.match(await step.textContent(), new RegExp(FILE));
    assert.doesNotMatch(await step.textContent(), /违规/);
    assert.match(await page.textContent("#case-level"), /符合/);
    await shot("cases-compliant");
  });

  await step("d. the unit dashboard", async () => {
    await go("/cases/dashboard");
    assert.match(await page.textContent("h1"), /看板/);
    await shot("cases-dashboard");
    assert.deepEqual(problems, []);
    assert.deepEqual(consoleErrors, []);
  });
});
