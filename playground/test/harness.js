// What the browser tests share: the real fat jar as a child process, tokens from its `token` command, free
// ports, a TCP proxy whose connections a test can cut, and Debian's chromium through playwright-core (never a downloaded browser).
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "../..");
export const JAR = resolve(here, process.env.OVERSEER_JAR ?? "../../app/target/overseer.jar");
export const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java";
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const SHOTS = join(here, "target");

/** Why the browser tests cannot run here, or null when they can. */
export function skipReason() {
  if (!existsSync(CHROMIUM)) return `no browser at ${CHROMIUM} (install Debian's chromium: apt-get install chromium)`;
  if (!existsSync(JAR)) return `no fat jar at ${JAR} (build it: mvn -o -B -q package -DskipTests -pl app -am)`;
  return null;
}

const reason = skipReason();
if (reason) {
  console.log(`BROWSER TESTS SKIPPED: ${reason}`);
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

/** A token for `user`, signed by the jar's `token` command with the data dir's development secret. */
export function token(dataDir, user) {
  return execFileSync(JAVA, ["-jar", JAR, "token", "--user", user], {
    env: { ...process.env, OVERSEER_DATA_DIR: dataDir },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
}

/** An agents file in `dataDir` whose supervisor needs approval before each calculator call. */
export function approvalAgentsFile(dataDir) {
  const file = join(dataDir, "agents.json");
  writeFileSync(file, JSON.stringify({ agents: [{ name: "supervisor", require_approval: ["calculator"] }] }));
  return file;
}

/**
 * Starts `java -jar overseer.jar serve` on `port` (a free one when absent) with `dataDir`, and waits until /readyz
 * answers 200. Without a `dataDir` it makes one, which `stop()` removes. `stop()` ends the server (SIGTERM, then
 * SIGKILL) and waits for the process to exit; `token(user)` signs a token for it.
 */
export async function startServer({ port, dataDir, env = {} } = {}) {
  const ownsDataDir = dataDir === undefined;
  dataDir ??= tempDir("overseer-playground-");
  port ??= await freePort();
  mkdirSync(dataDir, { recursive: true });
  const log = [];
  const child = spawn(JAVA, ["-jar", JAR, "serve", "--port", String(port)], {
    env: {
      ...process.env,
      OVERSEER_HOST: "127.0.0.1",
      OVERSEER_DATA_DIR: dataDir,
      OVERSEER_SHUTDOWN_GRACE_SECONDS: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk) => {
    log.push(chunk.toString());
    if (log.length > 400) log.shift();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((ok) => child.once("exit", (code, signal) => ok({ code, signal })));
  let gone = false;
  exited.then(() => { gone = true; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone) throw new Error(`the server exited during start-up:\n${log.join("")}`);
    try {
      const ready = await fetch(`${base}/readyz`);
      if (ready.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server was not ready within 60 s:\n${log.join("")}`);
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return {
    port,
    base,
    dataDir,
    token: (user) => token(dataDir, user),
    log: () => log.join(""),
    /** Kills the process at once (SIGKILL), as a crash would. */
    async kill() {
      if (!gone) {
        child.kill("SIGKILL");
        await exited;
      }
    },
    async stop() {
      if (!gone) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownsDataDir) removeDir(dataDir);
    },
  };
}

/**
 * A TCP proxy on loopback in front of `targetPort`, so that a test can drop the browser's connections as a network
 * would: `cut(refuseMs)` destroys every open connection (no WebSocket close frame, the browser sees 1006) and
 * refuses new ones for `refuseMs`.
 */
export async function startProxy(targetPort) {
  const open = new Set();
  let refusingUntil = 0;
  const proxy = createServer((downstream) => {
    if (Date.now() < refusingUntil) {
      downstream.destroy();
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    const pair = { downstream, upstream };
    open.add(pair);
    const end = () => {
      downstream.destroy();
      upstream.destroy();
      open.delete(pair);
    };
    for (const socket of [downstream, upstream]) {
      socket.on("error", end);
      socket.on("close", end);
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise((ok, fail) => {
    proxy.once("error", fail);
    proxy.listen(0, "127.0.0.1", ok);
  });
  const { port } = proxy.address();
  return {
    base: `http://127.0.0.1:${port}`,
    /** How many connections were open and were destroyed. */
    cut(refuseMs = 0) {
      refusingUntil = Date.now() + refuseMs;
      const count = open.size;
      for (const { downstream, upstream } of [...open]) {
        downstream.destroy();
        upstream.destroy();
      }
      open.clear();
      return count;
    },
    close() {
      this.cut();
      return new Promise((ok) => proxy.close(() => ok()));
    },
  };
}

/** Chromium from the system, headless; root in a container needs --no-sandbox. */
export async function launchBrowser() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

export function screenshotPath(name) {
  mkdirSync(SHOTS, { recursive: true });
  return join(SHOTS, `${name}.png`);
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}
