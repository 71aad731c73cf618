// @overseer/client on a page of ANOTHER origin (a tiny HTTP server here, with its own copy of clients/js/src),
// against a server whose OVERSEER_CORS_ORIGINS lists that origin: HTTP through CORS, and the WebSocket upgrade,
// which the server checks against the same list.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { connect } from "node:net";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { REPO, freePort, launchBrowser, skipReason, startServer } from "./harness.js";

const PAGE_DIR = new URL("./cross-origin/", import.meta.url).pathname;
const CLIENT_DIR = join(REPO, "clients", "js", "src");
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };

function serveForeignPage(port) {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, "http://x").pathname;
    let file = null;
    if (path === "/") file = join(PAGE_DIR, "index.html");
    else if (path === "/page.js") file = join(PAGE_DIR, "page.js");
    else if (/^\/client\/[a-z0-9-]+\.js$/.test(path)) file = join(CLIENT_DIR, basename(path));
    try {
      if (file === null) throw new Error("no such file");
      const body = await readFile(file);
      response.writeHead(200, { "Content-Type": TYPES[file.slice(file.lastIndexOf("."))] });
      response.end(body);
    } catch {
      response.writeHead(404, { "Content-Type": "text/plain" });
      response.end("not found");
    }
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

function rawUpgrade(port, origin) {
  return new Promise((ok, fail) => {
    const socket = connect(port, "127.0.0.1", () => socket.write([
      "GET /ws HTTP/1.1", `Host: 127.0.0.1:${port}`, "Upgrade: websocket", "Connection: Upgrade",
      "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Protocol: overseer.v1", `Origin: ${origin}`, "", ""].join("\r\n")));
    let text = "";
    socket.setTimeout(10_000, () => { socket.destroy(); fail(new Error(`no answer: ${text}`)); });
    socket.on("data", (chunk) => {
      text += chunk.toString();
      if (text.includes("\r\n\r\n") && text.includes("}")) { socket.destroy(); ok(text); }
    });
    socket.on("error", fail);
    socket.on("end", () => ok(text));
  });
}

describe("another origin", { skip: skipReason() ?? false }, () => {
  let overseer;
  let foreign;
  let foreignPort;
  let browser;

  before(async () => {
    foreignPort = await freePort();
    foreign = await serveForeignPage(foreignPort);
    overseer = await startServer({ env: { OVERSEER_CORS_ORIGINS: `http://127.0.0.1:${foreignPort}` } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await overseer?.stop();
    await new Promise((ok) => (foreign ? foreign.close(ok) : ok()));
  });

  async function openForeign(origin) {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.ready === true);
    return page;
  }

  test("an origin in OVERSEER_CORS_ORIGINS lists threads over HTTP and runs over the WebSocket", async () => {
    const page = await openForeign(`http://127.0.0.1:${foreignPort}`);
    const upgrades = [];
    page.on("websocket", (socket) => upgrades.push(socket.url()));
    const result = await page.evaluate(([base, t]) => window.overseerFromAfar(base, t),
      [overseer.base, overseer.token("dora")]);

    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.equal(result.origin, `http://127.0.0.1:${foreignPort}`);
    assert.ok(result.threads.includes(result.created));
    assert.equal(result.types.at(0), "agent_started");
    assert.ok(result.types.includes("tool_completed"));
    assert.equal(result.types.at(-1), "run_completed");
    assert.match(result.output, /42/);
    assert.deepEqual(upgrades, [`ws://127.0.0.1:${overseer.port}/ws`]);
    await page.close();
  });

  test("an origin not in the list gets neither: CORS stops the fetch, the upgrade is refused", async () => {
    // localhost and 127.0.0.1 are two origins: the same page, from the one the server does not list.
    const page = await openForeign(`http://localhost:${foreignPort}`);
    const result = await page.evaluate(([base, t]) => window.overseerFromAfar(base, t),
      [overseer.base, overseer.token("dora")]);
    assert.ok(result.error, JSON.stringify(result));
    assert.equal(result.created, undefined);

    const upgrade = await page.evaluate((url) => new Promise((ok) => {
      const socket = new WebSocket(url, ["overseer.v1", "bearer.x"]);
      socket.onopen = () => ok("open");
      socket.onerror = () => ok("refused");
    }), `ws://127.0.0.1:${overseer.port}/ws`);
    assert.equal(upgrade, "refused");
    // What the browser does not show: the status of the refused upgrade, from a plain socket with that Origin.
    const answer = await rawUpgrade(overseer.port, `http://localhost:${foreignPort}`);
    assert.match(answer, /^HTTP\/1\.1 403 /);
    assert.match(answer, /"code":"origin_not_allowed"/);
    await page.close();
  });
});
