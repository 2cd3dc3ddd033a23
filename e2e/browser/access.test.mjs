// A copy request through the web UI in headless Chromium, against the real binary filled
// by `liuhen demo` (accounts of every role, password Liuhen@2026demo):
//
// a. the officer 张伟 asks for a copy of one of his recordings (purpose, 1 disc, 2 pages);
// b. the legal office (陈静) finds it in her inbox and approves the legal review;
// c. the leader in charge of enforcement (杨军) approves; the request is approved;
// d. the records keeper (赵敏) makes the copy (extractor, what it proves) and records the
//    fee's receipt number; builds the export package (证据包) and downloads its ISO image;
//    the package's offline verifier (data/verify.html, opened from the extracted disc)
//    says 核验通过, and after one byte of an original is changed it fails naming the file;
// e. the officer sees the copy bound to the original's digest, the fee and the receipt on
//    his request page; the approval trail names both approvers; he confirms the package's
//    disc-burn record form (刻盘存储记录表) in the system;
// f. the archive keeper (徐明) opens 查阅登记簿 and finds the copy: its fee, receipt,
//    both approvers, the purpose, and the log entry the row comes from;
// g. (second test) a court's outside request is refused consent until the keeper attaches
//    the scans of its papers in the browser (each scan opens from the request page); then
//    consent, visit recorded.
//
// Shared helpers (binary, browser): support.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARTIFACTS, BIN, CHROMIUM, launchBrowser, pageHelpers, runCli, startServer } from "./support.mjs";

const DEMO_PASSWORD = "Liuhen@2026demo";
const PURPOSE = "行政诉讼举证（某化工有限公司诉我局行政处罚案）";
const RECEIPT = "NO.2026-1129-0007";

let server, work, base, browser, context, page;
let problems, consoleErrors;
let go, shot, path, clickAndLoad, signIn, signOut, changePassword, keepFailure;

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} missing: cargo build -p liuhen`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-access-"));
  const data = join(work, "data");
  runCli(data, ["demo"], { timeout: 600_000 });
  server = await startServer(data);
  ({ base } = server);
  ({ browser, context, page, problems, consoleErrors } = await launchBrowser());
  ({ go, shot, path, clickAndLoad, signIn, signOut, changePassword, keepFailure } = pageHelpers(
    page,
    base,
  ));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function as(username) {
  await signIn(username, DEMO_PASSWORD);
  assert.notEqual(path(), "/login", `${username} could not sign in`);
  if (path() === "/account/password") await changePassword(DEMO_PASSWORD, "Access-E2e-2026!");
}

let requestUrl;

test("a copy request passes legal review and leader approval; the copy appears with its fee", async (t) => {
  try {
    // a. The officer files the request for one of his records.
    await as("zhangwei");
    await go("/records");
    const href = await page.getAttribute('table a[href^="/records/"]', "href");
    const recordId = href.split("/").pop();
    await go(`/access/new?kind=copy&records=${recordId}`);
    assert.equal(await page.inputValue("#records"), recordId);
    await page.fill("#purpose", PURPOSE);
    await page.fill("#discs", "1");
    await page.fill("#pages", "2");
    await shot("access-new");
    await clickAndLoad('#request-form [type=submit]');
    assert.match(path(), /^\/access\/requests\//, "lands on the request");
    requestUrl = path();
    assert.equal((await page.textContent("#request-status")).trim(), "审批中");
    assert.ok((await page.textContent("#trail")).includes("法制部门审核"));
    assert.equal(await page.locator("#decide-form").count(), 0, "the requester cannot decide");
    await signOut();

    // b. The legal office: the inbox shows it; approve.
    await as("chenjing");
    await go("/access");
    const inbox = await page.textContent("#inbox");
    assert.ok(inbox.includes(PURPOSE), "in the legal office's inbox");
    await go(requestUrl);
    await page.fill("#comment", "符合复制条件");
    await clickAndLoad('#decide-form button[value=approve]');
    assert.equal(path(), requestUrl);
    const trail = await page.textContent("#trail");
    assert.ok(trail.includes("陈静") && trail.includes("符合复制条件"), "legal review in the trail");
    assert.equal(await page.locator("#decide-form").count(), 0, "one step per person");
    await signOut();

    // c. The leader in charge of enforcement approves.
    await as("yangjun");
    await go(requestUrl);
    await clickAndLoad('#decide-form button[value=approve]');
    assert.equal((await page.textContent("#request-status")).trim(), "已批准");
    await signOut();

    // d. The keeper makes the copy and records the fee.
    await as("zhaomin");
    await go(requestUrl);
    await page.fill("#extractor", "张伟");
    await page.fill("#proves", "当事人拒不停止违法作业的事实");
    await clickAndLoad('#copy [type=submit]');
    assert.equal((await page.textContent("#request-status")).trim(), "已办结");
    const fee = await page.textContent("#copy-fee");
    assert.ok(fee.includes("¥21.00"), `1 disc + 2 pages = ¥21.00: ${fee}`);
    assert.ok(fee.includes("未收费"));
    await page.fill("#receipt_no", RECEIPT);
    await clickAndLoad("#fee-form [type=submit]");
    assert.equal((await page.textContent("#receipt-no")).trim(), RECEIPT);
    await shot("access-copy-made");

    // d2. The keeper builds the export package, downloads its disc image, and checks the
    //     extracted disc with the offline verifier it carries.
    await clickAndLoad("#package-form [type=submit]");
    assert.equal(path(), requestUrl);
    const isoLink = page.locator("#packages a.iso-link");
    assert.equal(await isoLink.count(), 1, "the package and its image are listed");
    const [isoDownload] = await Promise.all([page.waitForEvent("download"), isoLink.click()]);
    const iso = join(work, "package.iso");
    await isoDownload.saveAs(iso);
    const disc = join(work, "disc");
    const x = spawnSync("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", "/", disc], { encoding: "utf8" });
    assert.equal(x.status, 0, x.stderr);
    await shot("access-package");
    const burnUrl = await page.locator("#packages a.burn-link").first().getAttribute("href");
    assert.ok(burnUrl && burnUrl.endsWith("/burn"), "the package links its disc-burn record form");
    const verifier = await context.newPage();
    const check = async () => {
      await verifier.goto(`file://${join(disc, "data", "verify.html")}`);
      await verifier.setInputFiles("#dir", disc);
      await verifier.waitForFunction(() => !document.getElementById("verdict").classList.contains("busy")
        && !document.getElementById("verdict").hidden);
      return {
        verdict: await verifier.textContent("#verdict"),
        problems: await verifier.textContent("#problems"),
        unchecked: await verifier.textContent("#unchecked"),
      };
    };
    const intact = await check();
    assert.match(intact.verdict, /核验通过/, JSON.stringify(intact));
    assert.match(intact.unchecked, /SM3/, "says what it could not check");
    const originals = join(disc, "data", "originals");
    const name = readdirSync(originals)[0];
    const bytes = readFileSync(join(originals, name));
    bytes[bytes.length >> 1] ^= 1;
    writeFileSync(join(originals, name), bytes);
    const changed = await check();
    assert.match(changed.verdict, /核验未通过/, JSON.stringify(changed));
    assert.ok(changed.problems.includes(`changed file: data/originals/${name}`), changed.problems);
    await verifier.screenshot({ path: join(ARTIFACTS, "access-verify-html.png") }).catch(() => {});
    await verifier.close();
    await signOut();

    // e. The requester sees the copy, its digest binding, the fee and the receipt; as the
    //    recording's officer he is listed on the disc-burn record form and confirms it.
    await as("zhangwei");
    await go(burnUrl);
    assert.ok((await page.textContent("#burn-people")).includes("张伟"), "listed as a participant");
    await clickAndLoad("#burn-confirm [type=submit]");
    assert.equal(path(), burnUrl);
    assert.match(await page.textContent("#burn-mine"), /您已确认/);
    await shot("access-burn-confirmed");
    await go(requestUrl);
    const copies = await page.textContent("#copies");
    // The copy names its original by file name, linked to the record (issue 18: no raw ids).
    const copyLinks = await page.locator("#copies a[href^='/records/']").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    assert.ok(copyLinks.includes(`/records/${recordId}`), "the copy names the original");
    assert.ok(copies.includes("赵敏") && copies.includes("当事人拒不停止违法作业的事实"));
    assert.match(copies, /[0-9a-f]{64}/, "bound to the original's SHA-256");
    assert.ok((await page.textContent("#copy-fee")).includes("¥21.00"));
    assert.equal((await page.textContent("#receipt-no")).trim(), RECEIPT);
    const finalTrail = await page.textContent("#trail");
    assert.ok(finalTrail.includes("陈静") && finalTrail.includes("杨军"));
    await go("/access");
    assert.ok((await page.textContent("#mine")).includes(PURPOSE));
    await shot("access-request-done");
    await signOut();

    // f. A register reader finds the copy in 查阅登记簿 with its fee, receipt and approvers.
    await as("xuming");
    await clickAndLoad('nav a[href="/register"]');
    assert.equal(path(), "/register");
    await page.selectOption("#kind", "copy");
    await page.fill("#record", recordId);
    await clickAndLoad('form[action="/register"] button[type=submit]');
    const rows = page.locator(`table.register tr:has(a[href="/records/${recordId}"])`);
    assert.equal(await rows.count(), 1, "one copy of one record: one row");
    const row = await rows.first().innerText();
    assert.match(row, /复制/);
    assert.match(row, /21\.00/, `the fee: ${row}`);
    assert.ok(row.includes(RECEIPT), `the receipt: ${row}`);
    assert.ok(row.includes("陈静") && row.includes("杨军"), `both approvers: ${row}`);
    assert.ok(row.includes(PURPOSE), "the purpose");
    assert.ok(row.includes("赵敏"), "the keeper who made it");
    const seq = (row.match(/#(\d+)/) || [])[1];
    assert.ok(seq, `the row names its log entry: ${row}`);
    assert.equal(await rows.first().getAttribute("id"), `e${seq}`);
    await shot("access-register");
    await signOut();

    assert.deepEqual(problems, [], "no uncaught page errors");
    assert.deepEqual(consoleErrors, [], "no console errors");
  } catch (e) {
    await keepFailure(t.name, server.log());
    throw e;
  }
});

test("an outside request cannot be approved until its papers' scans are attached", async (t) => {
  try {
    // The keeper registers a court's request to view one record.
    await as("zhaomin");
    await go("/records");
    const href = await page.getAttribute('table a[href^="/records/"]', "href");
    const recordId = href.split("/").pop();
    await go(`/access/new?kind=outside&records=${recordId}`);
    await page.selectOption("#outside_type", "court");
    await page.fill("#outside_name", "刘法官");
    await page.fill("#outside_unit", "平顶山市新华区人民法院");
    await page.fill("#outside_id", "410402198503150011");
    await page.fill("#purpose", "审理（2026）豫0402行初12号案件需要");
    await clickAndLoad('#request-form [type=submit]');
    assert.match(path(), /^\/access\/requests\//);
    const url = path();
    assert.ok((await page.textContent("#papers")).includes("材料不全"));
    await signOut();

    // The department cannot consent while papers are missing.
    await as("guolei");
    await go(url);
    await clickAndLoad('#decide-form button[value=approve]');
    assert.ok((await page.textContent(".flash-error")).includes("材料不全"));
    await signOut();

    // The keeper attaches the scans (fetch PUT from access.js), then the department consents.
    await as("zhaomin");
    await go(url);
    for (const paper of ["introduction_letter", "id_card"]) {
      const form = page.locator(`form.paper-upload[data-url$="/papers/${paper}"]`);
      await form.locator('input[type="file"]').setInputFiles({
        name: `${paper}.pdf`, mimeType: "application/pdf", buffer: Buffer.from(`%PDF-1.4 ${paper}`),
      });
      await Promise.all([page.waitForEvent("load"), form.locator("button").click()]);
    }
    const papers = await page.textContent("#papers");
    assert.ok(!papers.includes("材料不全") && papers.includes("introduction_letter.pdf"), papers);
    // Each attached scan opens from the request page (authorized and logged by the server).
    const scan = await page.getAttribute('#papers a.paper-scan[href$="/papers/id_card"]', "href");
    const opened = await page.evaluate(async (href) => {
      const res = await fetch(href);
      return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
    }, scan);
    assert.deepEqual(opened, { status: 200, type: "application/pdf", body: "%PDF-1.4 id_card" });
    await signOut();
    await as("guolei");
    await go(url);
    await clickAndLoad('#decide-form button[value=approve]');
    assert.equal((await page.textContent("#request-status")).trim(), "已批准");
    await signOut();

    // The keeper records the visit; the request is done.
    await as("zhaomin");
    await go(url);
    await page.fill('#handle input[name=note]', "在档案室当场查阅");
    await clickAndLoad('#handle form[action$="/visit"] button');
    assert.equal((await page.textContent("#request-status")).trim(), "已办结");
    await shot("access-outside-visit");
    assert.deepEqual(problems, [], "no uncaught page errors");
    assert.deepEqual(consoleErrors, [], "no console errors");
  } catch (e) {
    await keepFailure(t.name, server.log());
    throw e;
  }
});
