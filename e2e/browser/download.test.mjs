// Files keep their names (issue 17): the original of a record whose camera file name is
// Chinese downloads in headless Chromium under that same name. The server sends RFC 6266
// `filename*=UTF-8''…` (RFC 5987) after an ASCII fallback; before, the Chinese characters
// were dropped. On a demo bureau (`liuhen demo`, accounts with password Liuhen@2026demo):
// the records keeper 赵敏 takes the original of a file offloaded with `liuhen ingest`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, CHROMIUM, launchBrowser, pageHelpers, runCli, startServer } from "./support.mjs";

const PASSWORD = "Liuhen@2026demo";
const FRESH = "Download-E2e-2026!";
const NAME = "执法记录仪_张伟_现场检查（一）.mp4";
const CONTENT = "not really a video: only its name matters here\n";

let server, work, browser, page, problems, consoleErrors;
let go, path, signIn, changePassword, keepFailure;
let record;

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-download-"));
  const data = join(work, "data");
  runCli(data, ["demo"]);
  const file = join(work, NAME);
  writeFileSync(file, CONTENT);
  // The CLI acts as an account (issue 11): the records keeper, break-glass on the console.
  const out = runCli(data, [
    "--break-glass", "zhaomin", "--break-glass-reason", "e2e", "ingest", "--json", "--officer", "张伟", "--agency", "平顶山高新区应急管理局", file,
  ]);
  const report = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l))
    .find((r) => r.record_id);
  assert.ok(report, `no record in:\n${out}`);
  record = report.record_id;
  server = await startServer(data);
  ({ browser, page, problems, consoleErrors } = await launchBrowser());
  ({ go, path, signIn, changePassword, keepFailure } = pageHelpers(page, server.base));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the original downloads under its Chinese file name", async (t) => {
  try {
    await signIn("zhaomin", PASSWORD);
    if (path() === "/account/password") await changePassword(PASSWORD, FRESH);
    await go(`/records/${record}`);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.evaluate((id) => {
        const a = document.createElement("a");
        a.href = `/api/v1/records/${id}/original`;
        document.body.appendChild(a);
        a.click();
      }, record),
    ]);
    assert.equal(download.suggestedFilename(), NAME);
    const saved = join(work, "saved");
    await download.saveAs(saved);
    assert.equal(readFileSync(saved, "utf8"), CONTENT);
    assert.deepEqual(problems, []);
    assert.deepEqual(consoleErrors, []);
  } catch (e) {
    await keepFailure(t.name, server.log());
    throw e;
  }
});
