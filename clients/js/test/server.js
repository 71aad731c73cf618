// Starts the real Overseer fat jar for the tests: a fresh data dir, a free port, /healthz before use.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const JAR = resolve(process.env.OVERSEER_JAR ?? join(here, '..', '..', '..', 'app', 'target', 'overseer.jar'));
const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * An HS256 JWT signed with the server's OVERSEER_JWT_SECRET.
 * @param {string} secret
 * @param {string} sub
 * @param {number} ttlSeconds
 */
export function mintToken(secret, sub, ttlSeconds = 3600) {
  const b64 = (/** @type {object} */ o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: now, exp: now + ttlSeconds })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/**
 * A running server. `restart()` stops it (SIGTERM) and starts it again on the same port and data dir.
 * @param {{env?: Record<string, string>, agents?: object}} [options]
 */
export async function startServer(options = {}) {
  if (!existsSync(JAR)) {
    throw new Error(`the Overseer jar is missing at ${JAR}: build it first with `
      + '`mvn -o -B -q package -DskipTests -pl app -am` at the repository root, or set OVERSEER_JAR');
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'overseer-client-test-'));
  const secret = randomBytes(32).toString('hex');
  const port = await freePort();
  /** @type {Record<string, string>} */
  const env = {
    ...process.env,
    OVERSEER_DATA_DIR: dataDir,
    OVERSEER_JWT_SECRET: secret,
    OVERSEER_HOST: '127.0.0.1',
    OVERSEER_SHUTDOWN_GRACE_SECONDS: '0',
    ...options.env,
  };
  if (options.agents) {
    const file = join(dataDir, 'agents.json');
    writeFileSync(file, JSON.stringify(options.agents));
    env.OVERSEER_AGENTS_FILE = file;
  }
  const url = `http://127.0.0.1:${port}`;
  /** @type {import('node:child_process').ChildProcess | null} */
  let child = null;
  let log = '';

  async function launch() {
    log = '';
    child = spawn(JAVA, ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-jar', JAR, 'serve', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk) => { log += chunk; });
    child.stderr?.on('data', (chunk) => { log += chunk; });
    const exited = new Promise((_, reject) => child?.once('exit', (code) => reject(new Error(`the server exited with ${code}:\n${log}`))));
    exited.catch(() => {});
    const deadline = Date.now() + 30000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`the server did not answer /healthz within 30 s:\n${log}`);
      const healthy = await Promise.race([
        fetch(`${url}/healthz`).then((r) => r.ok, () => false),
        exited,
      ]);
      if (healthy) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function stop() {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    await new Promise((resolveExit) => {
      running.once('exit', resolveExit);
      running.kill('SIGTERM');
      setTimeout(() => running.kill('SIGKILL'), 10000).unref();
    });
  }

  await launch();
  return {
    url,
    port,
    secret,
    /** @param {string} [user] @param {number} [ttl] */
    token: (user = 'alice', ttl = 3600) => mintToken(secret, user, ttl),
    log: () => log,
    async restart() { await stop(); await launch(); },
    stop,
    async close() { await stop(); rmSync(dataDir, { recursive: true, force: true }); },
  };
}
