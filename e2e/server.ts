import { test } from '@playwright/test';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.join(__dirname, '.bin', 'patpolicy');

/**
 * The backend of this run: SQLite (a file in the server's temporary directory) unless
 * PATPOLICY_E2E_BACKEND=postgres, in which case each server gets a new database on the
 * PostgreSQL server at PATPOLICY_TEST_POSTGRES (make test starts one), dropped when it stops.
 */
const POSTGRES = process.env.PATPOLICY_E2E_BACKEND === 'postgres';

function psql(admin: string, sql: string): void {
  execFileSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A fresh database for one server: its --db value, and what removes it. */
function freshDatabase(dir: string): { location: string; remove: () => void } {
  if (!POSTGRES) return { location: path.join(dir, 'patpolicy.db'), remove: () => {} };
  const admin = process.env.PATPOLICY_TEST_POSTGRES;
  if (!admin) throw new Error('PATPOLICY_E2E_BACKEND=postgres needs PATPOLICY_TEST_POSTGRES (run through scripts/with-postgres)');
  const name = `e2e_${randomBytes(6).toString('hex')}`;
  psql(admin, `CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { location: url.toString(), remove: () => psql(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A running patpolicy server with its own temporary database. */
export class PatpolicyServer {
  readonly baseURL: string;
  private exitCode: number | null = null;
  private exited: Promise<void>;

  private constructor(
    private readonly proc: ChildProcess,
    readonly dir: string,
    readonly port: number,
    readonly logFile: string,
    private readonly removeDatabase: () => void,
  ) {
    this.baseURL = `http://127.0.0.1:${port}`;
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : -1);
        resolve();
      });
    });
  }

  /** Starts `.bin/patpolicy --demo` on a free port with a fresh database. */
  static async start(): Promise<PatpolicyServer> {
    if (!fs.existsSync(BIN)) {
      throw new Error(`${BIN} is missing: the global setup builds it (go build -o e2e/.bin/patpolicy .)`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patpolicy-e2e-'));
    const port = await freePort();
    const logFile = path.join(dir, 'server.log');
    const log = fs.openSync(logFile, 'a');
    const env = { ...process.env };
    delete env.PATPOLICY_ADDR;
    delete env.PATPOLICY_DB;
    const database = freshDatabase(dir);
    const proc = spawn(
      BIN,
      ['--demo', '--addr', `127.0.0.1:${port}`, '--db', database.location],
      { cwd: dir, env, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const server = new PatpolicyServer(proc, dir, port, logFile, database.remove);
    process.once('exit', () => proc.kill('SIGKILL'));
    await server.waitHealthy();
    return server;
  }

  url(p: string): string {
    return new URL(p, this.baseURL).toString();
  }

  logTail(lines = 40): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  private async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.exitCode !== null) {
        throw new Error(`patpolicy exited with ${this.exitCode} before /healthz answered:\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.baseURL}/healthz`);
        const body = (await res.text()).trim();
        if (res.status === 200 && body === 'ok') return;
        last = `${res.status} ${JSON.stringify(body.slice(0, 100))}`;
      } catch (e) {
        last = String(e);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`patpolicy /healthz did not answer 200 "ok" within ${timeoutMs} ms (last: ${last}):\n${this.logTail()}`);
  }

  /** SIGTERM, wait for exit (SIGKILL after 10 s), remove the temporary directory and database. Returns the exit code. */
  async stop(): Promise<number | null> {
    if (this.exitCode === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.exitCode !== 0) {
      console.warn(`patpolicy on port ${this.port} exited with ${this.exitCode} after SIGTERM (expected 0):\n${this.logTail(20)}`);
    }
    if (!process.env.PATPOLICY_E2E_KEEP_TMP) {
      fs.rmSync(this.dir, { recursive: true, force: true });
      this.removeDatabase();
    }
    return this.exitCode;
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr && typeof addr === 'object') {
        const { port } = addr;
        srv.close(() => resolve(port));
      } else {
        srv.close(() => reject(new Error('no port')));
      }
    });
  });
}

export interface FreshServer {
  /** Base URL of this file's server, e.g. http://127.0.0.1:41234 (valid once beforeAll ran). */
  readonly baseURL: string;
  url(p: string): string;
}

/**
 * Call once at the top level of a spec file: starts a fresh server (own temporary
 * database, demo data) before the file's tests, stops it after them, and makes it
 * the `baseURL` of every page/context of the file, so `page.goto('/login')` works.
 * Contexts made by hand with `browser.newContext()` should pass `{ baseURL: srv.baseURL }`.
 */
export function useFreshServer(): FreshServer {
  // Started by whichever asks first: beforeAll, or the baseURL fixture (which
  // Playwright may resolve before beforeAll hooks run).
  let starting: Promise<PatpolicyServer> | undefined;
  let server: PatpolicyServer | undefined;
  const ensure = () => {
    starting ??= PatpolicyServer.start().then((s) => (server = s));
    return starting;
  };
  test.beforeAll(async () => {
    test.setTimeout(90_000);
    await ensure();
  });
  test.afterAll(async () => {
    const s = starting ? await starting.catch(() => undefined) : undefined;
    starting = undefined;
    server = undefined;
    if (s) await s.stop();
  });
  test.use({
    baseURL: async ({}, use) => {
      await use((await ensure()).baseURL);
    },
  });
  return {
    get baseURL() {
      if (!server) throw new Error('server not started');
      return server.baseURL;
    },
    url(p: string) {
      if (!server) throw new Error('server not started');
      return server.url(p);
    },
  };
}
