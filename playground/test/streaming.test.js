// The answer streamed into the page as it arrives. The built-in offline model sends no deltas, so here the
// server talks to a scripted OpenAI-compatible endpoint (a test double in this file) that streams its answer
// in pieces, slowly enough to see the text grow before the run ends.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { freePort, launchBrowser, screenshotPath, skipReason, startServer } from "./harness.js";

const PIECES = ["The answer ", "is ", "4", "2."];
const PAUSE_MS = 400;

function chunk(delta, finishReason) {
  return `data: ${JSON.stringify({
    id: "chatcmpl-playground", object: "chat.completion.chunk", created: 1_700_000_000, model: "scripted",
    choices: [{ index: 0, delta, finish_reason: finishReason }], usage: null,
  })}\n\n`;
}

function scriptedModel(port) {
  const server = createServer((request, response) => {
    if (request.method === "POST" && request.url.endsWith("/chat/completions")) {
      request.resume();
      response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      let i = 0;
      const next = () => {
        if (i < PIECES.length) {
          response.write(chunk(i === 0 ? { role: "assistant", content: PIECES[i] } : { content: PIECES[i] }, null));
          i++;
          setTimeout(next, PAUSE_MS);
        } else {
          response.write(chunk({}, "stop"));
          response.end("data: [DONE]\n\n");
        }
      };
      next();
      return;
    }
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ object: "list", data: [{ id: "scripted", object: "model" }] }));
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok(server)));
}

describe("streamed answers", { skip: skipReason() ?? false }, () => {
  let model;
  let overseer;
  let browser;

  before(async () => {
    const modelPort = await freePort();
    model = await scriptedModel(modelPort);
    overseer = await startServer({
      env: { OVERSEER_LLM_BASE_URL: `http://127.0.0.1:${modelPort}/v1`, OVERSEER_LLM_MODEL: "scripted" },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await overseer?.stop();
    await new Promise((ok) => (model ? model.close(ok) : ok()));
  });

  test("each delta is appended to the answer as it arrives, before the run completes", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${overseer.base}/`);
    await page.getByLabel("Token (a JWT)").fill(overseer.token("erin"));
    await page.getByRole("button", { name: "Connect" }).click();
    await page.locator("#connection[data-state='open']").waitFor({ timeout: 20_000 });
    // Every text the answer shows, in order, as the page changes it.
    await page.evaluate(() => {
      window.__seen = [];
      new MutationObserver(() => {
        const text = document.querySelector("li.message.assistant .text");
        const status = document.getElementById("run-status").dataset.status;
        if (text && window.__seen.at(-1)?.text !== text.textContent) window.__seen.push({ text: text.textContent, status });
      }).observe(document.getElementById("messages"), { childList: true, subtree: true, characterData: true });
    });
    await page.getByLabel("Message").fill("What is 6*7?");
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator("#run-status[data-status='completed']").waitFor({ timeout: 20_000 });

    const seen = await page.evaluate(() => window.__seen);
    const texts = seen.map((entry) => entry.text).filter((text) => text !== "");
    assert.deepEqual(texts, ["The answer ", "The answer is ", "The answer is 4", "The answer is 42."]);
    assert.ok(seen.filter((entry) => entry.text !== "" && entry.text !== "The answer is 42.")
      .every((entry) => entry.status === "running"), JSON.stringify(seen));
    assert.equal(await page.locator("li.message.assistant .text").getAttribute("aria-live"), "polite");
    await page.screenshot({ path: screenshotPath("streamed"), fullPage: false });
    await page.close();
  });
});
