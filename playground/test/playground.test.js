// The playground in chromium against the real fat jar: sign in, a streamed answer with its tool card, cancel,
// approvals, a connection cut under a run, a server restart under a run, threads renamed and deleted, phone width.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  REPO, approvalAgentsFile, freePort, launchBrowser, removeDir, screenshotPath, skipReason, startProxy, startServer, tempDir,
} from "./harness.js";

const TIMEOUT = 20_000;

describe("playground", { skip: skipReason() ?? false }, () => {
  let browser;
  let server;
  let aliceToken;

  before(async () => {
    server = await startServer();
    aliceToken = server.token("alice");
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A page signed in as `user`; problems the page itself reports (CSP violations, errors) are collected. */
  async function signedIn(base, tokenValue, viewport = { width: 1280, height: 860 }) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${base}/`);
    await page.getByLabel("Token (a JWT)").fill(tokenValue);
    await page.getByRole("button", { name: "Connect" }).click();
    await page.locator("#connection[data-state='open']").waitFor({ timeout: TIMEOUT });
    return { context, page, problems };
  }

  async function send(page, text) {
    await page.getByLabel("Message").fill(text);
    await page.getByRole("button", { name: "Send" }).click();
  }

  function lastAnswer(page) {
    return page.locator("li.message.assistant").last();
  }

  async function waitForStatus(page, status) {
    await page.locator(`#run-status[data-status='${status}']`).waitFor({ timeout: TIMEOUT });
  }

  test("the sign-in page shows how to make a token, and keeps the token for the tab only", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.base}/`);
    assert.match(await page.locator("#token-hint").textContent(), /java -jar app\/target\/overseer\.jar token --user alice/);
    await page.getByLabel("Token (a JWT)").fill("not-a-token");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.locator("#sign-in-error").filter({ hasText: "refused" }).waitFor({ timeout: TIMEOUT });
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    await page.getByLabel("Token (a JWT)").fill(aliceToken);
    await page.getByRole("button", { name: "Connect" }).click();
    await page.locator("#connection[data-state='open']").waitFor({ timeout: TIMEOUT });
    const storage = await page.evaluate(() => ({
      local: localStorage.length,
      session: Object.values({ ...sessionStorage }),
      url: location.href,
    }));
    assert.equal(storage.local, 0);
    assert.deepEqual(storage.session, [aliceToken]);
    assert.ok(!storage.url.includes(aliceToken));

    // Reloading the tab keeps the session; a new tab (context) starts signed out.
    await page.reload();
    await page.locator("#connection[data-state='open']").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator("#workspace").isVisible(), true);
    await context.close();
  });

  test("What is 6*7? answers 42, with the calculator's card, and the thread appears in the list", async () => {
    const { context, page, problems } = await signedIn(server.base, aliceToken);
    await send(page, "What is 6*7?");
    await waitForStatus(page, "completed");

    const answer = lastAnswer(page);
    assert.match(await answer.locator(".text").textContent(), /42/);
    assert.equal(await answer.locator(".text").getAttribute("aria-live"), "polite");
    const card = answer.locator("article.tool-card");
    assert.equal(await card.count(), 1);
    assert.equal(await card.getAttribute("data-state"), "completed");
    assert.match(await card.locator("h3").textContent(), /calculator/);
    assert.match(await card.locator(".arguments").textContent(), /6\*7/);
    assert.equal((await card.locator(".result").textContent()).trim(), "42");
    assert.match(await card.locator(".duration").textContent(), /^\d+ ms$/);
    assert.equal(await page.locator("#cancel-run").isVisible(), false);

    await page.locator("#thread-list li.thread").first().waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator("#thread-list li.thread[aria-current='true']").count(), 1);

    await page.getByRole("button", { name: "Raw events" }).click();
    await page.locator("#raw-list li").filter({ hasText: "\"type\":\"run_completed\"" }).waitFor({ timeout: TIMEOUT });
    assert.ok(await page.locator("#raw-list li").filter({ hasText: "\"type\":\"start_agent\"" }).count() >= 1);
    assert.ok(await page.locator("#raw-list li").filter({ hasText: "\"type\":\"tool_completed\"" }).count() >= 1);
    // The raw view is the wire: the server's own frames are there too, not only run events.
    assert.ok(await page.locator("#raw-list li").filter({ hasText: "\"type\":\"connection_established\"" }).count() >= 1);
    assert.ok(await page.locator("#raw-list li").filter({ hasText: "\"type\":\"run_accepted\"" }).count() >= 1);
    await page.screenshot({ path: screenshotPath("desktop-answer"), fullPage: true });
    await page.getByRole("button", { name: "Raw events" }).click();
    await page.screenshot({ path: screenshotPath("desktop"), fullPage: false });

    assert.deepEqual(problems, []);
    await context.close();
  });

  test("a waiting run shows its running tool and is cancelled with the Cancel button", async () => {
    const { context, page, problems } = await signedIn(server.base, aliceToken);
    await send(page, "wait 10 seconds");
    const card = lastAnswer(page).locator("article.tool-card[data-state='running']");
    await card.waitFor({ timeout: TIMEOUT });
    await waitForStatus(page, "running");
    assert.match(await card.locator("h3").textContent(), /wait/);
    assert.match(await card.locator(".arguments").textContent(), /10/);
    assert.equal(await card.locator(".result").textContent(), "");

    const cancel = page.getByRole("button", { name: "Cancel run" });
    await cancel.focus();
    await page.keyboard.press("Enter");
    const started = Date.now();
    await waitForStatus(page, "cancelled");
    assert.ok(Date.now() - started < 5_000, "cancelled within 5 s, long before the 10 s wait ends");
    assert.match(await lastAnswer(page).textContent(), /Cancelled\./);
    assert.equal(await cancel.isVisible(), false);
    assert.equal(await page.getByRole("button", { name: "Send" }).isEnabled(), true);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("threads are created, renamed and deleted from the list", async () => {
    const { context, page, problems } = await signedIn(server.base, aliceToken);
    const before = await page.locator("#thread-list li.thread").count();
    await page.getByRole("button", { name: "New thread" }).click();
    await page.locator("#thread-list li.thread").nth(before).waitFor({ timeout: TIMEOUT });
    const current = page.locator("#thread-list li.thread[aria-current='true']");
    const threadId = await current.getAttribute("data-thread-id");
    await send(page, "hello there");
    await waitForStatus(page, "completed");
    assert.match(await lastAnswer(page).locator(".text").textContent(), /hello there/);

    const item = page.locator(`#thread-list li[data-thread-id='${threadId}']`);
    await item.getByRole("button", { name: /^Rename/ }).click();
    await page.getByLabel("New title").fill("Lisbon trip");
    await page.getByLabel("New title").press("Enter");
    await item.getByRole("button", { name: "Lisbon trip", exact: true }).waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator("#chat-title").textContent(), "Lisbon trip");
    const listed = await page.evaluate(async (t) => {
      const response = await fetch("/api/threads?limit=100", { headers: { Authorization: `Bearer ${t}` } });
      return (await response.json()).data.map((thread) => [thread.id, thread.title]);
    }, aliceToken);
    assert.ok(listed.some(([id, title]) => id === threadId && title === "Lisbon trip"));

    // Opening the thread again shows its stored messages.
    await page.reload();
    await page.locator("#connection[data-state='open']").waitFor({ timeout: TIMEOUT });
    await item.getByRole("button", { name: "Lisbon trip", exact: true }).click();
    await page.locator("li.message.user").filter({ hasText: "hello there" }).waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator("li.message").count(), 2);

    await item.getByRole("button", { name: /^Delete/ }).click();
    await item.getByRole("button", { name: "Delete for good" }).click();
    await item.waitFor({ state: "detached", timeout: TIMEOUT });
    assert.deepEqual(problems, []);
    const status = await page.evaluate(async ([t, id]) => {
      const response = await fetch(`/api/threads/${id}`, { headers: { Authorization: `Bearer ${t}` } });
      return response.status;
    }, [aliceToken, threadId]);
    assert.equal(status, 404);
    assert.equal(await page.locator("#chat-title").textContent(), "New conversation");
    await context.close();
  });

  test("a run started on the open thread from another tab shows up live", async () => {
    const first = await signedIn(server.base, aliceToken);
    await first.page.getByRole("button", { name: "New thread" }).click();
    const current = first.page.locator("#thread-list li.thread[aria-current='true']");
    await current.waitFor({ timeout: TIMEOUT });
    const threadId = await current.getAttribute("data-thread-id");
    await first.page.locator("#raw-list li").filter({ hasText: `"type":"subscribe","thread_id":"${threadId}"` })
      .waitFor({ state: "attached", timeout: TIMEOUT });

    const second = await signedIn(server.base, aliceToken);
    await second.page.locator(`#thread-list li[data-thread-id='${threadId}'] button.open`).click();
    await send(second.page, "What is 6*7?");
    await waitForStatus(second.page, "completed");

    await waitForStatus(first.page, "completed");
    await first.page.locator("li.message.user .text").filter({ hasText: "What is 6*7?" }).waitFor({ timeout: TIMEOUT });
    assert.equal((await lastAnswer(first.page).locator(".tool-card .result").textContent()).trim(), "42");
    assert.match(await lastAnswer(first.page).locator(".text").textContent(), /42/);
    assert.deepEqual([...first.problems, ...second.problems], []);
    await first.context.close();
    await second.context.close();
  });

  test("at phone width (375x740) everything is on screen, nothing scrolls sideways", async () => {
    const { context, page, problems } = await signedIn(server.base, aliceToken, { width: 375, height: 740 });
    await send(page, "What is 6*7?");
    await waitForStatus(page, "completed");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    for (const name of ["Send", "New thread", "Raw events"]) {
      const box = await page.getByRole("button", { name }).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `${name} fits: ${JSON.stringify(box)}`);
    }
    await page.screenshot({ path: screenshotPath("phone-375x740"), fullPage: false });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("keyboard: the controls are reached with Tab and show a visible focus ring", async () => {
    const { context, page } = await signedIn(server.base, aliceToken);
    const reached = new Set();
    let outline = null;
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      const focused = await page.evaluate(() => {
        const node = document.activeElement;
        const style = getComputedStyle(node);
        return { label: node.id || node.textContent.trim(), outline: style.outlineStyle, width: style.outlineWidth };
      });
      reached.add(focused.label);
      if (focused.label === "new-thread") outline = focused;
    }
    for (const control of ["raw-toggle", "sign-out", "new-thread", "message", "send"]) {
      assert.ok(reached.has(control), `${control} is reached by Tab (reached: ${[...reached].join(", ")})`);
    }
    assert.equal(outline.outline, "solid");
    assert.equal(outline.width, "3px");
    await context.close();
  });

  describe("with approvals required for calculator", () => {
    let approvals;
    let approvalsDir;
    let bobToken;

    before(async () => {
      approvalsDir = tempDir("overseer-playground-approvals-");
      approvals = await startServer({
        dataDir: approvalsDir,
        env: { OVERSEER_AGENTS_FILE: approvalAgentsFile(approvalsDir) },
      });
      bobToken = approvals.token("bob");
    });

    after(async () => {
      await approvals?.stop();
      if (approvalsDir) removeDir(approvalsDir);
    });

    test("Approve lets the calculator run; Reject with a reason stops it", async () => {
      const { context, page, problems } = await signedIn(approvals.base, bobToken);
      await send(page, "What is 6*7?");
      await waitForStatus(page, "requires_action");
      const prompt = lastAnswer(page).locator(".approval");
      assert.match(await prompt.textContent(), /calculator/);
      assert.match(await prompt.textContent(), /6\*7/);
      await page.screenshot({ path: screenshotPath("approval"), fullPage: false });
      await prompt.getByRole("button", { name: "Approve" }).click();
      await waitForStatus(page, "completed");
      assert.match(await prompt.textContent(), /^Approved/);
      assert.equal((await lastAnswer(page).locator(".tool-card .result").textContent()).trim(), "42");
      assert.match(await lastAnswer(page).locator(".text").textContent(), /42/);

      await send(page, "What is 5*5?");
      await waitForStatus(page, "requires_action");
      const second = lastAnswer(page).locator(".approval");
      await second.getByLabel(/Reason/).fill("not now");
      await second.getByRole("button", { name: "Reject" }).click();
      await waitForStatus(page, "completed");
      assert.equal(await second.textContent(), "Rejected: not now");
      const card = lastAnswer(page).locator(".tool-card");
      assert.equal(await card.getAttribute("data-state"), "error");
      assert.match(await card.locator(".result").textContent(), /rejected: not now/);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });

  // The MCP reference server that scripts/test installs for the integration tests (npm ci --prefix integration-tests/mcp).
  const EVERYTHING = join(REPO, "integration-tests", "mcp", "node_modules", ".bin", "mcp-server-everything");
  const noEverything = existsSync(EVERYTHING) ? false
    : `no MCP server at ${EVERYTHING} (npm ci --prefix integration-tests/mcp)`;
  if (noEverything) console.log(`PROGRESS TEST SKIPPED: ${noEverything}`);

  describe("with a tool that reports progress (MCP)", { skip: noEverything }, () => {
    let mcp;
    let mcpDir;
    let frankToken;

    before(async () => {
      mcpDir = tempDir("overseer-playground-mcp-");
      const agents = join(mcpDir, "agents.json");
      writeFileSync(agents, JSON.stringify({
        mcp_servers: { everything: { command: EVERYTHING, timeout_seconds: 30 } },
        agents: [{ name: "supervisor", tools: ["calculator", "wait", "everything__*"] }],
      }));
      mcp = await startServer({ dataDir: mcpDir, env: { OVERSEER_AGENTS_FILE: agents } });
      frankToken = mcp.token("frank");
    });

    after(async () => {
      await mcp?.stop();
      if (mcpDir) removeDir(mcpDir);
    });

    test("the tool card's progress bar follows tool_progress, then shows the result", async () => {
      const { context, page, problems } = await signedIn(mcp.base, frankToken);
      await page.evaluate(() => {
        window.__progress = [];
        new MutationObserver(() => {
          const bar = document.querySelector("li.message.assistant article.tool-card progress:not([hidden])");
          if (bar && window.__progress.at(-1) !== `${bar.value}/${bar.max}`) window.__progress.push(`${bar.value}/${bar.max}`);
        }).observe(document.getElementById("messages"), { subtree: true, attributes: true, childList: true, characterData: true });
      });
      await send(page, 'use everything__trigger-long-running-operation {"duration":2,"steps":4}');
      await waitForStatus(page, "completed");
      const seen = await page.evaluate(() => window.__progress);
      assert.deepEqual(seen, ["1/4", "2/4", "3/4", "4/4"]);
      const card = lastAnswer(page).locator("article.tool-card");
      assert.equal(await card.getAttribute("data-state"), "completed");
      assert.match(await card.locator("h3").textContent(), /everything__trigger-long-running-operation/);
      assert.match(await card.locator(".hint").textContent(), /^4\/4/);
      assert.deepEqual(problems, []);
      await context.close();
    });
  });

  describe("through a connection that drops", () => {
    let proxy;

    before(async () => {
      proxy = await startProxy(server.port);
    });

    after(async () => {
      await proxy?.close();
    });

    test("the socket is cut under a running run: the page reconnects by itself and the run finishes, each event once", async () => {
      const { context, page, problems } = await signedIn(proxy.base, aliceToken);
      await send(page, "wait 3 seconds");
      await lastAnswer(page).locator("article.tool-card[data-state='running']").waitFor({ timeout: TIMEOUT });

      assert.ok(proxy.cut(1_500) >= 1, "the page's WebSocket went through the proxy");
      await page.locator("#connection[data-state='reconnecting']").waitFor({ timeout: TIMEOUT });
      assert.equal(await page.locator("#run-status").getAttribute("data-status"), "running");

      await page.locator("#connection[data-state='open']").waitFor({ timeout: TIMEOUT });
      await waitForStatus(page, "completed");
      const answer = lastAnswer(page);
      assert.equal(await answer.locator("article.tool-card").count(), 1);
      assert.equal(await answer.locator("article.tool-card").getAttribute("data-state"), "completed");
      assert.equal(await page.locator("li.message.assistant").count(), 1);
      // The resume went out on the new connection and the server answered it.
      const resume = page.locator("#raw-list li").filter({ hasText: "\"type\":\"resume\"" });
      await resume.first().waitFor({ state: "attached", timeout: TIMEOUT });
      const runId = await answer.getAttribute("data-run");
      assert.match(await resume.first().textContent(), new RegExp(`"run_id":"${runId}"`));
      const frames = await page.locator("#raw-list li pre").evaluateAll((items, id) => items
        .map((item) => JSON.parse(item.textContent))
        .filter((frame) => frame.run_id === id && typeof frame.seq === "number"), runId);
      assert.deepEqual(frames.map((frame) => frame.seq), frames.map((_, index) => index + 1), "every event of the run once, in order");
      assert.equal(frames.at(-1).type, "run_completed");
      // While the proxy refused connections the browser logged each failed connection; nothing else went wrong.
      const network = /^console: (WebSocket connection to '.*' failed|Failed to load resource)|net::ERR_/;
      assert.deepEqual(problems.filter((problem) => !network.test(problem)), []);
      await context.close();
    });
  });

  describe("across a server restart", () => {
    let node;
    let nodeDir;
    let port;
    let carolToken;

    before(async () => {
      nodeDir = tempDir("overseer-playground-restart-");
      port = await freePort();
      node = await startServer({ port, dataDir: nodeDir });
      carolToken = node.token("carol");
    });

    after(async () => {
      await node?.stop();
      if (nodeDir) removeDir(nodeDir);
    });

    test("the indicator shows the drop, reconnects by itself, and the run finishes after the reconnect", async () => {
      const { context, page } = await signedIn(node.base, carolToken);
      await send(page, "wait 10 seconds");
      await lastAnswer(page).locator("article.tool-card[data-state='running']").waitFor({ timeout: TIMEOUT });

      // A crash: the run is left active in the database, and the socket drops without a goodbye.
      await node.kill();
      await page.locator("#connection[data-state='reconnecting']").waitFor({ timeout: TIMEOUT });
      assert.match(await page.locator("#connection-text").textContent(), /reconnecting/);
      assert.equal(await page.locator("#run-status").getAttribute("data-status"), "running");
      await page.screenshot({ path: screenshotPath("reconnecting"), fullPage: false });

      node = await startServer({ port, dataDir: nodeDir });
      await page.locator("#connection[data-state='open']").waitFor({ timeout: 40_000 });
      // The restarted server closes the run the dead one left behind; the resumed run gets that ending.
      await page.locator("#run-status[data-status='failed']").waitFor({ timeout: TIMEOUT });
      assert.match(await lastAnswer(page).locator(".failure").textContent(), /interrupted/);

      await send(page, "What is 6*7?");
      await waitForStatus(page, "completed");
      assert.match(await lastAnswer(page).locator(".text").textContent(), /42/);
      await context.close();
    });
  });
});
