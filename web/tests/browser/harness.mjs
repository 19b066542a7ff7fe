// What every browser test file shares: the environment, the check/skip bookkeeping, and a
// Debian chromium launched the one way the project allows (playwright-core, never a downloaded
// browser), with the page's errors and off-machine requests recorded.
//
// Environment (scripts/test sets it):
//   PLAYGROUND_URL  the served dist/ (http://127.0.0.1:PORT/)
//   TINYML          path of the release `tinyml` binary
//   TINYML_SHARED   the shared test data (models/tflm/*.tflite, data/...)
//   ARTIFACTS       where screenshots go (target/browser-artifacts)
//   CHROMIUM        the browser (/usr/bin/chromium)

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const URL = process.env.PLAYGROUND_URL ?? 'http://127.0.0.1:8099/';
export const TINYML = process.env.TINYML ?? 'target/release/tinyml';
// Absolute: Chromium reads its fake-device files (--use-file-for-fake-*-capture) by path, and
// resolves a relative one against nothing useful.
export const SHARED = path.resolve(process.env.TINYML_SHARED ?? '../shared');
export const ARTIFACTS = process.env.ARTIFACTS ?? 'target/browser-artifacts';
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

fs.mkdirSync(ARTIFACTS, { recursive: true });

export const results = { passed: 0, failed: 0, skipped: 0 };

/** Runs one named check; a throw fails it (and the file), the others still run. */
export async function check(name, fn) {
  try {
    await fn();
    results.passed++;
    console.log(`ok      ${name}`);
  } catch (e) {
    results.failed++;
    console.log(`FAILED  ${name}\n        ${String(e?.message ?? e).split('\n').join('\n        ')}`);
  }
}

export function skip(name, why) {
  results.skipped++;
  console.log(`skipped ${name}: ${why}`);
}

export function assertEq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

export function assert(cond, what) {
  if (!cond) throw new Error(what);
}

/** 85264 -> "85,264", as the engine's Display writes byte counts. */
export const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Deterministic bytes (xorshift32): the same input for the page and the CLI. */
export function xorshiftBytes(n, seed) {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Runs the `tinyml` CLI; its stdout. */
export function tinyml(args, opts = {}) {
  return execFileSync(TINYML, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, ...opts });
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The flags every launch uses (the environment's list), plus `extra` (fake devices...). */
export const BASE_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Debian chromium with `extraArgs`, and a page whose errors and off-machine requests are
 * recorded in `page.errors` and `page.offsite` (see `expectClean`).
 */
export async function launch(extraArgs = [], viewport = { width: 1360, height: 1000 }, contextOptions = {}) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_ARGS, ...extraArgs],
  });
  const context = await browser.newContext({ viewport, ...contextOptions });
  const page = await context.newPage();
  watch(page);
  return { browser, context, page };
}

/** Records `page`'s errors and off-machine requests. */
export function watch(page) {
  page.errors = [];
  page.offsite = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(URL) && !u.startsWith('blob:') && !u.startsWith('data:')) page.offsite.push(u);
  });
}

/** Fails unless `page` made no off-machine request and logged no error. */
export async function expectClean(page) {
  await check('nothing was fetched from off the machine, no page errors', async () => {
    assertEq(page.offsite, [], 'off-site requests');
    assertEq(page.errors, [], 'page errors');
  });
}

/** Prints the summary line and exits with the file's verdict. */
export function finish() {
  console.log(`${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
  process.exit(results.failed === 0 ? 0 : 1);
}
