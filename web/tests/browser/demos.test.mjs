// Browser tests of the demo pages sine, digits and magic wand: Debian's chromium, driven by
// playwright-core, against the release build in dist/ served on loopback. What a page shows is
// checked against the `tinyml` CLI (the same engine, natively) on the same bytes, and against the
// model cards; drawings are made with the mouse, as a person makes them.
//
// Usage: node demos.test.mjs   (scripts/test sets PLAYGROUND_URL, TINYML, TINYML_SHARED, ...;
// see harness.mjs). Prints one line per check and closes with "N passed, N failed, N skipped".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  SHARED, URL, assert, assertEq, check, expectClean, finish, launch, shot, skip, tinyml,
} from './harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-demos-'));
const MODELS = 'models';

/** `tinyml inspect --json`. */
function inspect(model) {
  return JSON.parse(tinyml(['inspect', '--json', model], { encoding: 'utf8' }));
}

/** `tinyml run` on k samples back to back in `input` (a Buffer): the outputs, a Buffer. */
function run(model, input) {
  const src = path.join(tmp, 'in.bin');
  const dst = path.join(tmp, 'out.bin');
  fs.writeFileSync(src, input);
  tinyml(['run', model, '--input', src, '--output', dst]);
  return fs.readFileSync(dst);
}

/** Index of the first largest value (numpy's argmax). */
function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Int8 scores of `n` classes per sample -> predicted class per sample. */
function predictions(out, n) {
  const preds = [];
  for (let k = 0; k < out.length / n; k++) {
    preds.push(argmax(Array.from(out.subarray(k * n, (k + 1) * n), (b) => (b << 24) >> 24)));
  }
  return preds;
}

/** numpy's float32 round-half-to-even quantization: clip(round(x / scale) + zp, -128, 127). */
function quantize(x, scale, zp) {
  const v = Math.fround(Math.fround(x) / Math.fround(scale));
  let r = Math.round(v);
  if (Math.abs(v % 1) === 0.5 && r % 2 !== 0) r -= 1; // JS rounds half up; numpy to even
  return Math.min(127, Math.max(-128, r + zp));
}

/** The page's arena figure for `id` (DemoStats), checked against the engine's own minimum. */
async function checkArena(page, id, model) {
  const sel = `[data-testid=${id}-arena]`;
  await page.waitForSelector(sel, { timeout: 30000 });
  const used = Number(await page.getAttribute(sel, 'data-bytes'));
  // The slot's arena is the board's whole budget; of it the model uses exactly the engine's
  // minimum, the figure `tinyml inspect` reports.
  assertEq(used, inspect(model).arena_bytes, `${id}: arena used vs tinyml inspect's arena_bytes`);
  const latency = await page.textContent(`[data-testid=${id}-latency]`);
  const estimate = await page.textContent(`[data-testid=${id}-estimate]`);
  assert(/s$/.test(latency.trim()), `${id}: latency "${latency}"`);
  assert(/^≈ .* at \d+ MHz$/.test(estimate.trim()), `${id}: estimate "${estimate}"`);
}

/** Draws `strokes` (lists of [x, y] in 0..1 of the element's box) with the mouse. */
async function drawStrokes(page, testid, strokes) {
  const box = await page.locator(`[data-testid=${testid}]`).boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const stroke of strokes) {
    const [x0, y0] = at(stroke[0]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (const p of stroke.slice(1)) {
      const [x, y] = at(p);
      await page.mouse.move(x, y, { steps: 12 });
    }
    await page.mouse.up();
  }
}

/** Hex bytes of a RasterView's data-pixels. */
async function rasterBytes(page, testid) {
  return Buffer.from(await page.getAttribute(`[data-testid=${testid}]`, 'data-pixels'), 'hex');
}

const { browser, page } = await launch();

// ---------------------------------------------------------------------------------------- sine
await check('sine: the int8 y at slider values equals `tinyml run` on the same input byte', async () => {
  await page.goto(`${URL}#/sine`);
  await page.waitForSelector('[data-testid=sine-int8-arena]', { timeout: 30000 });
  const model = `${MODELS}/sine/sine.tflite`;
  const info = inspect(model);
  const [i, o] = [info.inputs[0], info.outputs[0]];
  for (const x of [0.3, 1.571, 3.0, 4.712, 6.1]) {
    await page.fill('[data-testid=sine-x]', String(x));
    const step = String(Math.round(x * 1000));
    await page.waitForFunction((s) => document.querySelector('[data-testid=sine-point]')?.dataset.step === s, step);
    const qIn = Number(await page.getAttribute('[data-testid=sine-point]', 'data-q-in'));
    const qOut = Number(await page.getAttribute('[data-testid=sine-point]', 'data-q-out'));
    assert(Math.abs((qIn - i.zero_point) * i.scale - x) <= i.scale / 2 + 1e-6, `x = ${x}: input byte ${qIn}`);
    const cli = (run(model, Buffer.from([qIn & 0xff]))[0] << 24) >> 24;
    assertEq(qOut, cli, `x = ${x}: output byte, page vs tinyml run`);
    const y = Math.fround(Math.fround(cli - o.zero_point) * Math.fround(o.scale));
    assertEq((await page.textContent('[data-testid=sine-y-int8]')).trim(), y.toFixed(6), `x = ${x}: y`);
    const steps = await page.textContent('[data-testid=sine-steps]');
    assert(steps.includes(`= ${qIn}.`) && steps.includes(`(${cli} − (${o.zero_point}))`) && steps.includes(`= ${y.toFixed(6)}.`),
      `x = ${x}: the arithmetic shown: ${steps}`);
    const truth = (await page.textContent('[data-testid=sine-true]')).trim();
    assertEq(truth, Math.sin(Math.fround(x)).toFixed(6), `x = ${x}: sin(x)`);
  }
});

/** MAE vs sin over the card's grid, from `tinyml run` outputs. */
function sineMae(model, card, n) {
  const xs = [];
  const step = (2 * Math.PI) / (n - 1);
  for (let k = 0; k < n; k++) xs.push(Math.fround(k === n - 1 ? 2 * Math.PI : k * step));
  const entry = card.models.find((m) => m.file === path.basename(model));
  let ys;
  if (entry.input.dtype === 'int8') {
    const q = Buffer.from(xs.map((x) => quantize(x, entry.input.scale, entry.input.zero_point) & 0xff));
    const out = run(model, q);
    ys = Array.from(out, (b) => Math.fround(Math.fround(((b << 24) >> 24) - entry.output.zero_point) * Math.fround(entry.output.scale)));
  } else {
    const out = run(model, Buffer.from(new Float32Array(xs).buffer));
    ys = Array.from(new Float32Array(out.buffer, out.byteOffset, n));
  }
  return { mae: xs.reduce((s, x, k) => s + Math.abs(ys[k] - Math.sin(x)), 0) / n, card: entry.metrics.mae_vs_sin };
}

await check('sine: the MAE shown equals the CLI\'s and the card\'s, for both networks, int8 and float', async () => {
  const card = JSON.parse(fs.readFileSync(`${MODELS}/sine/card.json`, 'utf8'));
  const n = card.evaluation.grid_points;
  for (const [choice, int8, float] of [['2x16', 'sine.tflite', 'sine_float.tflite'], ['1x16', 'sine_1x16.tflite', 'sine_1x16_float.tflite']]) {
    await page.selectOption('[data-testid=sine-network]', choice);
    await page.waitForFunction((f) => document.querySelector('[data-testid=sine-int8-stats]')?.textContent.includes(f), int8);
    for (const [which, file] of [['int8', int8], ['float', float]]) {
      const sel = `[data-testid=sine-mae-${which}][data-mae]`;
      await page.waitForSelector(sel, { timeout: 30000 });
      const shown = Number(await page.getAttribute(sel, 'data-mae'));
      const { mae, card: want } = sineMae(`${MODELS}/sine/${file}`, card, n);
      assert(Math.abs(shown - mae) < 1e-6, `${file}: page MAE ${shown}, CLI ${mae}`);
      assert(Math.abs(shown - want) <= 1e-4, `${file}: page MAE ${shown}, card ${want}`);
      assertEq((await page.textContent(`[data-testid=sine-mae-${which}]`)).trim(), shown.toFixed(6), `${file}: MAE text`);
    }
    const points = await page.getAttribute('[data-testid=sine-curve-int8]', 'points');
    assertEq(points.split(' ').length, n, `${int8}: plotted points`);
    await checkArena(page, 'sine-int8', `${MODELS}/sine/${int8}`);
    await checkArena(page, 'sine-float', `${MODELS}/sine/${float}`);
  }
  await shot(page, 'demo-sine');
});

// -------------------------------------------------------------------------------------- digits
// Strokes as a person draws them with a mouse (0..1 of the drawing surface).
const DIGITS = {
  1: [[[0.38, 0.25], [0.55, 0.1], [0.55, 0.9]]],
  7: [[[0.2, 0.15], [0.8, 0.15], [0.45, 0.9]]],
  0: [[[0.5, 0.1], [0.27, 0.22], [0.2, 0.5], [0.27, 0.78], [0.5, 0.9], [0.73, 0.78], [0.8, 0.5], [0.73, 0.22], [0.5, 0.1]]],
  4: [[[0.6, 0.1], [0.2, 0.62], [0.82, 0.62]], [[0.63, 0.35], [0.63, 0.92]]],
};

await check('digits: mouse drawings of 1, 7, 0 and 4 are classified as such, as the CLI classifies the page\'s 28x28', async () => {
  await page.goto(`${URL}#/digits`);
  await page.waitForSelector('[data-testid=digits-int8-arena]', { timeout: 30000 });
  const model = `${MODELS}/digits/digits.tflite`;
  for (const [digit, strokes] of Object.entries(DIGITS)) {
    await page.click('[data-testid=digits-clear]');
    await page.waitForFunction(() => document.querySelector('[data-testid=digits-class]')?.textContent === '–');
    await drawStrokes(page, 'digits-canvas', strokes);
    // The scores shown are of the image shown (both name the drawing they are of).
    await page.waitForFunction(() => {
      const c = document.querySelector('[data-testid=digits-class]');
      return c && c.textContent !== '–' && c.dataset.drawing === document.querySelector('[data-testid=digits-sees]')?.dataset.drawing;
    });
    const shown = (await page.textContent('[data-testid=digits-class]')).trim();
    const pixels = await rasterBytes(page, 'digits-image');
    assertEq(pixels.length, 784, 'image bytes');
    const cli = predictions(run(model, Buffer.from(pixels.map((p) => p ^ 0x80))), 10)[0];
    await shot(page, `demo-digits-${digit}`);
    assertEq(shown, String(cli), `drawn ${digit}: page's class vs tinyml run on the page's image`);
    assertEq(shown, digit, `drawn ${digit}: class`);
  }
  await checkArena(page, 'digits-int8', model);
  await checkArena(page, 'digits-float', `${MODELS}/digits/digits_float.tflite`);
});

function gunzipIdx(file) {
  const data = zlib.gunzipSync(fs.readFileSync(file));
  const ndim = data[3];
  return data.subarray(4 + 4 * ndim);
}

const mnist = path.join(SHARED, 'data', 'mnist');
const images = path.join(mnist, 't10k-images-idx3-ubyte.gz');
const labelsFile = path.join(mnist, 't10k-labels-idx1-ubyte.gz');
if (!fs.existsSync(images) || !fs.existsSync(labelsFile)) {
  skip('digits: evaluation on MNIST', `no MNIST IDX files in ${mnist}`);
} else {
  await check('digits: a wrong file gets words, not a result', async () => {
    await page.setInputFiles('[data-testid=digits-images]', labelsFile);
    await page.setInputFiles('[data-testid=digits-labels]', labelsFile);
    await page.click('[data-testid=digits-evaluate]');
    await page.waitForSelector('[data-testid=digits-eval-error]');
    const e = await page.textContent('[data-testid=digits-eval-error]');
    assert(e.includes('images file') && e.includes('labels file?'), e);
  });
  await check('digits: evaluation on MNIST\'s IDX files: accuracy and confusion matrix equal the CLI\'s, int8 and float', async () => {
    const started = Date.now();
    await page.setInputFiles('[data-testid=digits-images]', images);
    await page.setInputFiles('[data-testid=digits-labels]', labelsFile);
    await page.click('[data-testid=digits-evaluate]');
    await page.waitForSelector('[data-testid=digits-progress-int8]', { timeout: 30000 });
    await page.waitForSelector('[data-testid=digits-accuracy-int8]', { timeout: 150000 });
    await page.waitForSelector('[data-testid=digits-accuracy-float]', { timeout: 150000 });
    const seconds = (Date.now() - started) / 1000;
    const pixels = gunzipIdx(images);
    const labels = Array.from(gunzipIdx(labelsFile));
    const int8 = predictions(run(`${MODELS}/digits/digits.tflite`, Buffer.from(pixels.map((p) => p ^ 0x80))), 10);
    const fl = new Float32Array(pixels.length);
    for (let k = 0; k < pixels.length; k++) fl[k] = Math.fround(pixels[k] / 255);
    const out = run(`${MODELS}/digits/digits_float.tflite`, Buffer.from(fl.buffer));
    const scores = new Float32Array(out.buffer, out.byteOffset, out.length / 4);
    const float = [];
    for (let k = 0; k < labels.length; k++) float.push(argmax(Array.from(scores.subarray(k * 10, k * 10 + 10))));
    for (const [which, preds] of [['int8', int8], ['float', float]]) {
      const correct = preds.filter((p, k) => p === labels[k]).length;
      const sel = `[data-testid=digits-accuracy-${which}]`;
      assertEq(Number(await page.getAttribute(sel, 'data-total')), labels.length, `${which}: digits evaluated`);
      assertEq(Number(await page.getAttribute(sel, 'data-correct')), correct, `${which}: correct, page vs tinyml run`);
      assertEq((await page.textContent(sel)).trim(), `${(100 * correct / labels.length).toFixed(2)}%`, `${which}: accuracy text`);
      const matrix = Array.from({ length: 10 }, () => Array(10).fill(0));
      preds.forEach((p, k) => { matrix[labels[k]][p]++; });
      assertEq(JSON.parse(await page.getAttribute(`[data-testid=digits-confusion-${which}]`, 'data-matrix')), matrix, `${which}: confusion matrix`);
    }
    console.log(`        (10,000 digits, both models, in ${seconds.toFixed(1)} s; int8 ${(100 * int8.filter((p, k) => p === labels[k]).length / labels.length).toFixed(2)}%)`);
    await shot(page, 'demo-digits-evaluation');
  });
  await check('digits: on the held-out fifth, the page reproduces the card: int8 accuracy and confusion matrix', async () => {
    const card = JSON.parse(fs.readFileSync(`${MODELS}/digits/card.json`, 'utf8'));
    const int8 = card.models.find((m) => m.file === card.default);
    await page.check('[data-testid=digits-held-out]');
    await page.click('[data-testid=digits-evaluate]');
    await page.waitForFunction((n) => document.querySelector('[data-testid=digits-accuracy-int8]')?.dataset.total === String(n),
      card.evaluation.held_out.samples, { timeout: 60000 });
    const sel = '[data-testid=digits-accuracy-int8]';
    const correct = Number(await page.getAttribute(sel, 'data-correct'));
    assertEq(Number((correct / card.evaluation.held_out.samples).toFixed(4)), int8.metrics.accuracy, 'int8 accuracy vs card');
    assertEq(JSON.parse(await page.getAttribute('[data-testid=digits-confusion-int8]', 'data-matrix')),
      card.evaluation.confusion_matrix.matrix, 'int8 confusion matrix vs card');
    await page.waitForSelector('[data-testid=digits-accuracy-float]', { timeout: 60000 });
  });
}

// ---------------------------------------------------------------------------------------- wand
// Gestures as a person draws them, one stroke each (0..1 of the surface, y down).
const GESTURES = {
  W: [[0.15, 0.2], [0.3, 0.8], [0.5, 0.35], [0.7, 0.8], [0.85, 0.2]],
  O: Array.from({ length: 33 }, (_, k) => {
    const a = -Math.PI / 2 - (2 * Math.PI * k) / 32; // from the top, anticlockwise
    return [0.5 + 0.32 * Math.cos(a), 0.5 + 0.35 * Math.sin(a)];
  }),
  L: [[0.3, 0.15], [0.3, 0.85], [0.75, 0.85]],
};

/** Waits until the wand's scores are of the raster shown (both name the stroke they are of). */
async function waitForWandScores(page) {
  await page.waitForFunction(() => {
    const c = document.querySelector('[data-testid=wand-class]');
    return c && c.textContent !== '–' && c.dataset.stroke === document.querySelector('[data-testid=wand-sees]')?.dataset.stroke;
  });
}

await check('wand: mouse gestures W, O and L are classified as such, as the CLI classifies the page\'s raster', async () => {
  await page.goto(`${URL}#/wand`);
  await page.waitForSelector('[data-testid=wand-int8-arena]', { timeout: 30000 });
  const model = `${MODELS}/magic_wand/magic_wand.tflite`;
  const labels = JSON.parse(fs.readFileSync(`${MODELS}/magic_wand/card.json`, 'utf8')).labels;
  for (const [name, stroke] of Object.entries(GESTURES)) {
    const before = await page.getAttribute('[data-testid=wand-raster]', 'data-pixels');
    await drawStrokes(page, 'wand-canvas', [stroke]);
    await page.waitForFunction((b) => document.querySelector('[data-testid=wand-raster]')?.dataset.pixels !== b, before);
    await waitForWandScores(page);
    const raster = await rasterBytes(page, 'wand-raster');
    assertEq(raster.length, 32 * 32 * 3, 'raster bytes');
    const cli = predictions(run(model, Buffer.from(raster.map((v) => v ^ 0x80))), labels.length)[0];
    await shot(page, `demo-wand-${name}`);
    assertEq((await page.textContent('[data-testid=wand-class]')).trim(), labels[cli], `drawn ${name}: page vs tinyml run on the page's raster`);
    assertEq(labels[cli], name, `drawn ${name}: class`);
  }
  await checkArena(page, 'wand-int8', model);
  await checkArena(page, 'wand-float', `${MODELS}/magic_wand/magic_wand_float.tflite`);
});

await check('wand: a phone\'s motion (devicemotion rotation rates) held on the button traces an L', async () => {
  const before = await page.getAttribute('[data-testid=wand-raster]', 'data-pixels');
  const box = await page.locator('[data-testid=wand-motion]').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  // Tilt down (negative beta) for 40 events, then turn right (negative gamma) for 25: an L.
  await page.evaluate(() => {
    const send = (beta, gamma) => window.dispatchEvent(new DeviceMotionEvent('devicemotion',
      { rotationRate: { alpha: 0, beta, gamma }, interval: 16 }));
    for (let k = 0; k < 40; k++) send(-60 + 4 * Math.sin(k), 3 * Math.cos(k));
    for (let k = 0; k < 25; k++) send(2 * Math.sin(k), -60);
  });
  await page.mouse.up();
  await page.waitForFunction((b) => document.querySelector('[data-testid=wand-raster]')?.dataset.pixels !== b, before);
  await waitForWandScores(page);
  await shot(page, 'demo-wand-motion');
  assertEq((await page.textContent('[data-testid=wand-class]')).trim(), 'L', 'class of the motion stroke');
});

await check('a 2 KB Arduino Uno: the wand model does not fit (the engine says so), the sine model does', async () => {
  await page.selectOption('[data-testid=demo-board]', 'uno');
  await page.waitForSelector('[data-testid=wand-error]', { timeout: 30000 });
  const e = await page.textContent('[data-testid=wand-error]');
  console.log(`        (wand on the Uno: "${e}")`);
  assert(/int8 model: .*1,536 B/.test(e) && /float model: .*1,536 B/.test(e), `both models fail, naming the 1,536 B arena: ${e}`);
  await page.goto(`${URL}#/sine`);
  await page.waitForSelector('[data-testid=sine-int8-arena]', { timeout: 30000 });
  const arena = await page.textContent('[data-testid=sine-int8-arena]');
  assert(arena.includes('of 1,536 B') && arena.includes('on Arduino Uno'), arena);
  assertEq(Number(await page.getAttribute('[data-testid=sine-int8-arena]', 'data-bytes')),
    inspect(`${MODELS}/sine/sine.tflite`).arena_bytes, 'sine arena on the Uno');
  await page.waitForSelector('[data-testid=sine-mae-int8][data-mae]', { timeout: 30000 });
  await page.selectOption('[data-testid=demo-board]', 'netduino-f405');
});

await expectClean(page);
await browser.close();
fs.rmSync(tmp, { recursive: true, force: true });
finish();
