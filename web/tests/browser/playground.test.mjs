// Browser tests of the playground: Debian's chromium, driven by playwright-core, against the
// release build in dist/ served on loopback. Every figure the page shows is checked against the
// `tinyml` CLI on the same model (the same engine, natively).
//
// Usage: node playground.test.mjs   (scripts/test sets the variables below)
//   PLAYGROUND_URL  the served dist/ (http://127.0.0.1:PORT/)
//   TINYML          path of the release `tinyml` binary
//   TINYML_SHARED   the shared test data (models/tflm/*.tflite)
//   ARTIFACTS       where screenshots go (target/browser-artifacts)
//   CHROMIUM        the browser (/usr/bin/chromium)
// Prints one line per check and closes with "N passed, N failed, N skipped".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ARTIFACTS, SHARED, TINYML, URL, assertEq, check, expectClean, finish, launch, shot, skip, thousands,
  xorshiftBytes,
} from './harness.mjs';
import { execFileSync } from 'node:child_process';

/** Load + plan of a ~300 KB model must take less than this (issue: "under 50 ms"). */
const LOAD_BUDGET_MS = 50;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-browser-'));
const measurements = {};

/** `tinyml inspect --json`, or the CLI's one-line error. */
function inspect(model) {
  try {
    const out = execFileSync(TINYML, ['inspect', '--json', model], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { json: JSON.parse(out) };
  } catch (e) {
    const line = String(e.stderr ?? '').trim().split('\n').pop();
    // "tinyml: /path/model.tflite: Op X v1 is not supported" -> the engine's words.
    return { error: line.replace(/^tinyml: /, '').replace(`${model}: `, '') };
  }
}


async function loadModel(page, file) {
  await page.setInputFiles('[data-testid=model-file]', file);
  await page.waitForFunction(
    (name) => {
      const h = document.querySelector('[data-testid=summary] h2');
      const err = document.querySelector('[data-testid=load-error]');
      return (h && h.textContent.startsWith(name)) || err;
    },
    path.basename(file),
    { timeout: 30000 },
  );
}

async function selectBoard(page, id) {
  await page.selectOption('[data-testid=board]', id);
}

async function setReserve(page, bytes) {
  await page.fill('[data-testid=reserve]', String(bytes));
  await page.dispatchEvent('[data-testid=reserve]', 'change');
}

/** Waits for the engine's verdict on the current budget: 'fit' or 'fit-error'. */
async function verdict(page) {
  await page.waitForSelector('[data-testid=fit], [data-testid=fit-error]', { timeout: 60000 });
  if (await page.$('[data-testid=fit]')) return { fits: true, text: await page.textContent('[data-testid=fit]') };
  return { fits: false, text: await page.textContent('[data-testid=engine-error]') };
}

async function testModel(page, file, slug) {
  const info = inspect(file);
  if (info.error) {
    // The page must say what the CLI says, in the same words.
    await check(`${slug}: the page reports the engine's error "${info.error}"`, async () => {
      await loadModel(page, file);
      const text = (await page.textContent('[data-testid=load-error]'))?.trim();
      assertEq(text, info.error, 'load error');
      await shot(page, `${slug}-error`);
    });
    return;
  }
  const cli = info.json;

  await check(`${slug}: loads, op names as the schema names them`, async () => {
    await loadModel(page, file);
    const err = await page.$('[data-testid=load-error]');
    if (err) throw new Error(`load error: ${await err.textContent()}`);
    const ops = await page.$$eval('[data-testid=graph] g.op', (gs) => gs.map((g) => g.dataset.op));
    assertEq(ops, cli.ops.filter((o) => o.subgraph === 0).map((o) => o.op), 'graph ops');
    const kinds = await page.$$eval('[data-testid=op-kinds] code', (cs) => cs.map((c) => c.textContent));
    assertEq(kinds, [...new Set(cli.ops.map((o) => o.op))], 'op kinds');
  });

  await check(`${slug}: arena_bytes equals tinyml inspect --json (${cli.arena_bytes} B)`, async () => {
    const shown = await page.getAttribute('[data-testid=arena-bytes]', 'data-bytes');
    assertEq(Number(shown), cli.arena_bytes, 'arena_bytes attribute');
    const text = await page.textContent('[data-testid=arena-bytes]');
    assertEq(text.trim(), `${thousands(cli.arena_bytes)} B`, 'arena_bytes text');
    const mem = await page.textContent('[data-testid=memory-arena-bytes]');
    assertEq(mem.trim(), `${thousands(cli.arena_bytes)} B`, 'memory view arena_bytes');
  });

  await check(`${slug}: memory view draws one box per planned buffer`, async () => {
    const boxes = await page.$$eval('[data-testid=memory] g.buffer', (gs) => gs.length);
    const planned = cli.plan.filter((p) => p.kind !== 'alias' && p.size > 0).length;
    assertEq(boxes, planned, 'boxes');
    await page.waitForSelector('[data-testid=memory] .budget-line', { state: 'attached' });
  });

  const loadMs = Number(await page.getAttribute('[data-testid=load-ms]', 'data-ms'));
  measurements[slug] = { file_bytes: fs.statSync(file).size, load_plan_ms: loadMs, arena_bytes: cli.arena_bytes };
  if (fs.statSync(file).size > 200_000) {
    await check(`${slug}: loads and plans in under ${LOAD_BUDGET_MS} ms (took ${loadMs} ms)`, async () => {
      if (!(loadMs < LOAD_BUDGET_MS)) throw new Error(`load + plan took ${loadMs} ms`);
    });
  }

  await check(`${slug}: clicking an op and a constant shows details and a histogram`, async () => {
    await page.click('[data-testid=graph] g.op rect');
    await page.waitForSelector('[data-testid=op-details]');
    const constant = await page.$('[data-testid=graph] text.const');
    if (constant) {
      await constant.click();
      await page.waitForSelector('[data-testid=tensor-details] [data-testid=histogram] rect.bar', { timeout: 10000 });
    }
    await shot(page, `${slug}-graph`);
  });

  await check(`${slug}: the Arduino Uno is too small, in the engine's words`, async () => {
    await selectBoard(page, 'uno');
    let budget = 2048 - 512;
    if (cli.arena_bytes <= budget) {
      // The model fits the Uno's 1,536 B: shrink the budget to one byte short of the need.
      budget = cli.arena_bytes - 1;
      await setReserve(page, 2048 - budget);
    }
    await page.waitForFunction((b) => document.querySelector('[data-testid=budget]')?.dataset.bytes === String(b), budget);
    const v = await verdict(page);
    assertEq(v.fits, false, 'fits');
    assertEq(v.text.trim(), `needs ${thousands(cli.arena_bytes)} B of arena; ${thousands(budget)} B available`, 'engine error');
    await page.waitForSelector('[data-testid=memory] .budget-line.over', { state: 'attached' });
    await shot(page, `${slug}-uno`);
  });

  await check(`${slug}: a custom board fits at exactly arena_bytes and not one byte less`, async () => {
    await selectBoard(page, 'custom');
    await setReserve(page, 1000);
    for (const [sram, fits] of [[cli.arena_bytes + 1000, true], [cli.arena_bytes + 999, false]]) {
      await page.fill('[data-testid=custom-sram]', String(sram));
      await page.dispatchEvent('[data-testid=custom-sram]', 'change');
      await page.waitForFunction((b) => document.querySelector('[data-testid=budget]')?.dataset.bytes === String(b), sram - 1000);
      const v = await verdict(page);
      assertEq(v.fits, fits, `fits with SRAM ${sram} (${v.text})`);
    }
  });

  await check(`${slug}: fits the STM32F405 (Netduino Plus 2)`, async () => {
    await selectBoard(page, 'netduino-f405');
    const budget = 128 * 1024 - 8 * 1024;
    await page.waitForFunction((b) => document.querySelector('[data-testid=budget]')?.dataset.bytes === String(b), budget);
    const v = await verdict(page);
    assertEq(v.fits, true, `fits (${v.text})`);
    if (!v.text.includes(thousands(cli.arena_bytes))) throw new Error(`fit text lacks arena_bytes: ${v.text}`);
  });

  await check(`${slug}: a run's output bytes equal tinyml run on the same input`, async () => {
    const need = cli.inputs.reduce((s, t) => s + t.bytes, 0);
    const input = xorshiftBytes(need, 12345);
    const inFile = path.join(tmp, `${slug}-input.bin`);
    fs.writeFileSync(inFile, input);
    const outFiles = cli.outputs.map((_, i) => path.join(tmp, `${slug}-out${i}.bin`));
    // One --input file holding all inputs only works for one input; split per input otherwise.
    const inArgs = [];
    let at = 0;
    cli.inputs.forEach((t, i) => {
      const f = path.join(tmp, `${slug}-in${i}.bin`);
      fs.writeFileSync(f, input.subarray(at, at + t.bytes));
      at += t.bytes;
      inArgs.push('--input', f);
    });
    execFileSync(TINYML, ['run', file, ...inArgs, ...outFiles.flatMap((f) => ['--output', f])]);
    await page.setInputFiles('[data-testid=input-file]', inFile);
    await page.waitForSelector('[data-testid=input-file-name]');
    await page.click('[data-testid=run]');
    await page.waitForSelector('[data-testid=run-results], [data-testid=run-error]', { timeout: 60000 });
    const runError = await page.$('[data-testid=run-error]');
    if (runError) throw new Error(`run error: ${await runError.textContent()}`);
    for (let i = 0; i < outFiles.length; i++) {
      const hex = await page.getAttribute(`[data-testid=output-${i}]`, 'data-hex');
      assertEq(hex, fs.readFileSync(outFiles[i]).toString('hex'), `output ${i}`);
    }
    const rows = await page.$$eval('[data-testid=op-table] tbody tr', (r) => r.length);
    assertEq(rows, cli.ops.length, 'profiled ops');
    await page.waitForSelector('[data-testid=estimated-latency]');
    await shot(page, `${slug}-run`);
  });
}

const { browser, page } = await launch();

await check('the page opens with the load panel and the gallery', async () => {
  await page.goto(URL);
  await page.waitForSelector('[data-testid=model-file]');
  await page.waitForSelector('[data-testid=gallery], [data-testid=gallery-empty]');
  await shot(page, 'start');
});

await check('a file that is not a model: "not a TensorFlow Lite file"', async () => {
  const junk = path.join(tmp, 'junk.tflite');
  fs.writeFileSync(junk, 'this is not a model, just some text');
  await page.setInputFiles('[data-testid=model-file]', junk);
  await page.waitForSelector('[data-testid=load-error]');
  assertEq((await page.textContent('[data-testid=load-error]')).trim(), 'not a TensorFlow Lite file', 'error');
});

const tflm = path.join(SHARED, 'models', 'tflm');

await check('drag and drop of a .tflite loads it', async () => {
  const bytes = fs.readFileSync(path.join(tflm, 'hello_world_int8.tflite')).toString('base64');
  await page.evaluate((b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], 'dropped.tflite'));
    const zone = document.querySelector('.dropzone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForFunction(() => document.querySelector('[data-testid=summary] h2')?.textContent.startsWith('dropped.tflite'));
});

await testModel(page, path.join(tflm, 'hello_world_int8.tflite'), 'hello_world_int8');
const person = path.join(tflm, 'person_detect.tflite');
const personInfo = inspect(person);
if (personInfo.error) {
  skip('person_detect', `tinyml inspect fails on it (${personInfo.error}); checked once the engine runs it`);
  await testModel(page, person, 'person_detect-unsupported');
} else {
  await testModel(page, person, 'person_detect');
}

await expectClean(page);

await browser.close();
fs.writeFileSync(path.join(ARTIFACTS, 'measurements.json'), JSON.stringify(measurements, null, 2));
fs.rmSync(tmp, { recursive: true, force: true });
finish();
