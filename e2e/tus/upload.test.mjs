// The real tus-js-client (npm) against a running liuhen server: an upload is interrupted
// mid-request, found again with findPreviousUploads() and resumed; the finished file is a
// record whose media equals the file byte for byte.
//
// The server is `target/debug/examples/tus-e2e-server` (built by scripts/test.sh with
// `cargo build -p liuhen-server --example tus-e2e-server`), or LIUHEN_E2E_SERVER.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import * as tus from "tus-js-client";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const serverBin = process.env.LIUHEN_E2E_SERVER || join(root, "target", "debug", "examples", "tus-e2e-server");
const corpus = process.env.LIUHEN_MEDIA_CORPUS || join(root, "..", "shared", "media-corpus");

let server, work, url, token;

before(async () => {
  assert.ok(existsSync(serverBin), `${serverBin} missing: cargo build -p liuhen-server --example tus-e2e-server`);
  work = mkdtempSync(join(tmpdir(), "liuhen-e2e-tus-"));
  server = spawn(serverBin, [join(work, "data")], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, RUST_LOG: "warn" } });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: server.stdout });
    rl.once("line", resolve);
    server.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  ({ url, token } = JSON.parse(line));
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

function options(file, extra) {
  return {
    endpoint: `${url}/api/v1/uploads`,
    headers: { Authorization: `Bearer ${token}` },
    chunkSize: 256 * 1024,
    retryDelays: [0, 200, 500],
    metadata: { filename: "现场执法记录.mp4", officer: "张伟", agency: "甲局", case_name: "e2e" },
    urlStorage: new tus.FileUrlStorage(join(work, "tus-urls.json")),
    fingerprint: async () => "liuhen-e2e-" + createHash("sha256").update(file).digest("hex"),
    ...extra,
  };
}

test("tus-js-client upload with a forced interruption and a resume", async () => {
  const file = readFileSync(join(corpus, "meta.mp4"));

  // First attempt: abort mid-way, while a PATCH is in flight.
  let firstUrl;
  await new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, options(file, {
      onProgress(sent) {
        if (sent > file.length / 3 && !firstUrl) {
          firstUrl = upload.url;
          upload.abort().then(resolve, reject);
        }
      },
      onSuccess: () => reject(new Error("must not finish before the interruption")),
      onError: reject,
    }));
    upload.start();
  });
  assert.ok(firstUrl, "the upload was created before it was interrupted");

  // The server kept part of it.
  const head = await fetch(firstUrl, { method: "HEAD", headers: { Authorization: `Bearer ${token}`, "Tus-Resumable": "1.0.0" } });
  assert.equal(head.status, 200);
  const kept = Number(head.headers.get("upload-offset"));
  assert.ok(kept > 0 && kept < file.length, `offset after the interruption: ${kept}`);

  // Second attempt: found again and resumed from the server's offset.
  let recordId, resumedFrom;
  await new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, options(file, {
      onAfterResponse(req, res) {
        const id = res.getHeader("Liuhen-Record-Id");
        if (id) recordId = id;
        if (req.getMethod() === "HEAD" && resumedFrom === undefined) resumedFrom = Number(res.getHeader("Upload-Offset"));
      },
      onSuccess: resolve,
      onError: reject,
    }));
    upload.findPreviousUploads().then((prev) => {
      assert.equal(prev.length, 1, "the interrupted upload is found");
      upload.resumeFromPreviousUpload(prev[0]);
      upload.start();
    }, reject);
  });
  assert.equal(resumedFrom, kept, "resumed where the server stopped");
  assert.match(recordId || "", /^[0-9a-f-]{36}$/);

  // The record's media is the file, byte for byte.
  const media = await fetch(`${url}/records/${recordId}/media`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(media.status, 200);
  assert.equal(media.headers.get("content-type"), "video/mp4");
  const body = Buffer.from(await media.arrayBuffer());
  assert.equal(createHash("sha256").update(body).digest("hex"), createHash("sha256").update(file).digest("hex"));
});
