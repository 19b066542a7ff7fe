// Browser tests of the Wake word and Vision pages with Chromium's fake devices: the microphone
// plays a WAV file (looped) and the camera a Y4M video made here from TFLM's person_detection
// BMPs (into a temporary folder, never committed).
//
// Two launches (the fake devices are per browser):
//   1. yes_1000ms.wav + person.bmp:   the keyword model hears "yes"; no_1000ms.wav played
//      through the page's file input is "no"; TFLM's micro_speech (with its audio
//      preprocessor) hears "yes"; a microWakeWord model (WAKEWORD_MODELS) wakes on "okay nabu"
//      (web/tests/fixtures) but not on "yes"; person_detect's
//      person score from the camera (showing the BMP's photograph, see `photograph`); an
//      uploaded person.bmp gives the CLI's input bytes and outputs.
//   2. no_1000ms.wav + no_person.bmp: "no"; a lower person score than in launch 1; a picture
//      of an MNIST test digit, dark on light, is classified right by the default digits model.
//
// Usage: node media.test.mjs   (scripts/test sets the variables; see harness.mjs)

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import {
  SHARED, assert, assertEq, check, expectClean, finish, launch, shot, skip, tinyml, URL,
} from './harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-media-'));
const SPEECH = path.join(SHARED, 'data', 'micro_speech');
const PICTURES = path.join(SHARED, 'data', 'person_detection');
const PERSON_DETECT = path.join(SHARED, 'models', 'tflm', 'person_detect.tflite');
const MICRO_SPEECH = path.join(SHARED, 'models', 'tflm', 'micro_speech_quantized.tflite');
const PREPROCESSOR = path.join(SHARED, 'models', 'tflm', 'audio_preprocessor_int8.tflite');
const MNIST = path.join(SHARED, 'data', 'mnist');
/** "okay nabu" by espeak-ng (web/tests/fixtures/make_okay_nabu.sh). */
const OKAY_NABU = fileURLToPath(new globalThis.URL('../fixtures/okay_nabu.wav', import.meta.url));
const DIGITS = fileURLToPath(new globalThis.URL('../../../models/digits/digits.tflite', import.meta.url));
/** pymicro-wakeword's models folder (scripts/test sets it); its checks are skipped without. */
const WAKE_MODELS = process.env.WAKEWORD_MODELS;

/** An uncompressed 8-bit palettized BMP (TFLM's test pictures) as rows of gray, top first. */
function readGrayBmp(file) {
  const b = fs.readFileSync(file);
  const offset = b.readUInt32LE(10);
  const width = b.readInt32LE(18);
  const h = b.readInt32LE(22);
  const bits = b.readUInt16LE(28);
  if (bits !== 8) throw new Error(`${file}: ${bits}-bit BMP; this test reads 8-bit ones`);
  const height = Math.abs(h);
  const palette = 14 + b.readUInt32LE(14);
  const stride = Math.ceil(width / 4) * 4;
  const gray = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = h > 0 ? height - 1 - y : y;
    for (let x = 0; x < width; x++) {
      const i = b[offset + row * stride + x];
      // The palette is gray (B = G = R); take green.
      gray[y * width + x] = b[palette + 4 * i + 1];
    }
  }
  return { width, height, gray };
}

/**
 * The photograph in TFLM's person_detection BMPs. Their palette indices are not gray levels
 * but the bytes of TFLM's int8 test images: tflite-micro's generate_cc_arrays.py copies
 * `Image.tobytes()` into the C array that the example's test memcpy's into the int8 input. So
 * the pixel a camera would have seen is `int8 + 128`, i.e. the byte with its top bit flipped
 * (read as plain gray, every dark area wraps round to white).
 */
function photograph(bmp) {
  return { ...bmp, gray: bmp.gray.map((b) => b ^ 0x80) };
}

/**
 * A one-frame 4:2:0 Y4M of the picture scaled up 2x (each pixel a 2x2 block, so the page's
 * area resize back to 96x96 averages equal pixels). Luma in the limited range (16-235) that
 * the browser's YUV-to-RGB conversion expects; chroma neutral.
 */
function writeY4m(bmp, file) {
  const w = bmp.width * 2;
  const h = bmp.height * 2;
  const y = Buffer.alloc(w * h);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      y[r * w + c] = 16 + Math.round((bmp.gray[(r >> 1) * bmp.width + (c >> 1)] * 219) / 255);
    }
  }
  const chroma = Buffer.alloc((w / 2) * (h / 2), 128);
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\nFRAME\n`);
  fs.writeFileSync(file, Buffer.concat([header, y, chroma, chroma]));
}

/**
 * MNIST test digit `index` as a picture of dark ink on white paper: a 24-bit BMP scaled up 5x
 * (140x140), so that the page's area resize back to 28x28 averages equal pixels and its
 * inversion restores the digit exactly. Returns the file and the digit's label.
 */
function mnistPicture(index, file) {
  const images = zlib.gunzipSync(fs.readFileSync(path.join(MNIST, 't10k-images-idx3-ubyte.gz')));
  const labels = zlib.gunzipSync(fs.readFileSync(path.join(MNIST, 't10k-labels-idx1-ubyte.gz')));
  const digit = images.subarray(16 + index * 784, 16 + (index + 1) * 784);
  const side = 140;
  const stride = side * 3; // 420, a multiple of 4: no row padding
  const header = Buffer.alloc(54);
  header.write('BM', 0);
  header.writeUInt32LE(54 + stride * side, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(side, 18);
  header.writeInt32LE(side, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  const pixels = Buffer.alloc(stride * side);
  for (let y = 0; y < side; y++) {
    const row = side - 1 - y; // bottom-up
    for (let x = 0; x < side; x++) {
      const v = 255 - digit[Math.floor(y / 5) * 28 + Math.floor(x / 5)];
      pixels.fill(v, row * stride + x * 3, row * stride + x * 3 + 3);
    }
  }
  fs.writeFileSync(file, Buffer.concat([header, pixels]));
  return labels[8 + index];
}

/** The Vision page with its default model (the project's digits) classifies `picture`. */
async function classifyDigit(page, picture) {
  await page.goto(`${URL}#/`);
  await page.goto(`${URL}#/vision`);
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=vision-stats] dd');
    const b = document.querySelector('[data-testid=vision-image-file]');
    return s && s.textContent.includes('digits') && b && !b.disabled;
  }, null, { timeout: 30000 });
  await page.setInputFiles('[data-testid=vision-image-file]', picture);
  await page.waitForFunction((name) => {
    const s = document.querySelector('[data-testid=vision-status]');
    const v = document.querySelector('[data-testid=vision-model-view]');
    return s && s.textContent === name && v && v.dataset.busy === 'false' && v.dataset.rawOutput;
  }, path.basename(picture), { timeout: 30000 });
  return page.evaluate(() => ({
    top: document.querySelector('[data-testid=vision-scores] li.top').dataset.label,
    inputHex: document.querySelector('[data-testid=vision-model-view]').dataset.inputHex,
    invert: document.querySelector('[data-testid=vision-invert]').checked,
  }));
}

/**
 * Opens the Wake word page, lets `setup` choose and load a model, starts the microphone (or
 * plays `wav` through the page's file input) and returns what the page heard.
 */
async function hear(page, { setup, wav, wait = 1500 } = {}) {
  // Through another view, so the page starts afresh (a new runner, no earlier detections).
  await page.goto(`${URL}#/`);
  await page.goto(`${URL}#/wakeword`);
  await page.waitForSelector('[data-testid=wakeword-mic]:not([disabled])', { timeout: 30000 });
  if (setup) await setup(page);
  if (wav) {
    // Looped, as the fake microphone loops its file: a one-second clip from a fresh frontend
    // is a weaker "no" (models/keyword/card.json: 0.73 fresh, 0.98 looped).
    await page.check('[data-testid=wakeword-loop]');
    await page.setInputFiles('[data-testid=wakeword-wav]', wav);
  } else {
    await page.click('[data-testid=wakeword-mic]');
  }
  await page.waitForSelector('[data-testid=wakeword-detections] li', { timeout: 30000 });
  // Let it listen a little longer: a wrong word would show up too.
  await page.waitForTimeout(wait);
  const labels = await page.$$eval('[data-testid=wakeword-detections] li', (ls) => ls.map((l) => l.dataset.label));
  const status = await page.textContent('[data-testid=wakeword-status]');
  const arena = await page.getAttribute('[data-testid=wakeword-arena]', 'data-bytes');
  await page.click('[data-testid=wakeword-stop]');
  return { labels, status, arena: Number(arena) };
}

/** Chooses TFLM's micro_speech and loads it and its audio preprocessor. */
async function microSpeech(page) {
  await page.selectOption('[data-testid=wakeword-model]', 'micro_speech');
  await page.setInputFiles('[data-testid=wakeword-micro-speech-file]', MICRO_SPEECH);
  await page.setInputFiles('[data-testid=wakeword-preprocessor-file]', PREPROCESSOR);
  await page.waitForFunction(() => {
    const b = document.querySelector('[data-testid=wakeword-mic]');
    return b && !b.disabled && document.querySelector('[data-testid=wakeword-preprocessor-stats]');
  }, null, { timeout: 30000 });
}

/**
 * A microWakeWord model: on the microphone (which says "yes") for `ms`, then on `wav` (its
 * wake word) through the page's file input. The probabilities (the strip chart's legend) and
 * the detections of each.
 */
async function wakeWord(page, model, ms, wav) {
  await page.goto(`${URL}#/`);
  await page.goto(`${URL}#/wakeword`);
  await page.waitForSelector('[data-testid=wakeword-mic]:not([disabled])', { timeout: 30000 });
  await page.selectOption('[data-testid=wakeword-model]', 'wakeword');
  await page.setInputFiles('[data-testid=wakeword-mww-file]', model);
  await page.setInputFiles('[data-testid=wakeword-mww-json]', model.replace(/\.tflite$/, '.json'));
  await page.waitForSelector('[data-testid=wakeword-mic]:not([disabled])', { timeout: 30000 });
  await page.click('[data-testid=wakeword-mic]');
  await page.waitForSelector('[data-testid=wakeword-scores] li[data-score]:not([data-score=""])', { timeout: 30000 });
  await page.waitForTimeout(ms);
  const state = () => page.evaluate(() => ({
    label: document.querySelector('[data-testid=wakeword-scores] li').dataset.label,
    detections: [...document.querySelectorAll('[data-testid=wakeword-detections] li')].map((l) => l.dataset.label),
    latency: document.querySelector('[data-testid=wakeword-latency]').textContent,
  }));
  const mic = await state();
  await page.click('[data-testid=wakeword-stop]');
  await page.setInputFiles('[data-testid=wakeword-wav]', wav);
  await page.waitForSelector('[data-testid=wakeword-detections] li', { timeout: 30000 });
  const file = await state();
  return { mic, file };
}

/** Loads person_detect into the Vision page. */
async function loadPersonDetect(page) {
  await page.goto(`${URL}#/`);
  await page.goto(`${URL}#/vision`);
  await page.setInputFiles('[data-testid=vision-model-file]', PERSON_DETECT);
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=vision-stats] dd');
    const b = document.querySelector('[data-testid=vision-camera]');
    return s && s.textContent.includes('person_detect') && b && !b.disabled;
  }, null, { timeout: 30000 });
}

/** The person score of the camera's frames (after a few, so the frame is settled). */
async function cameraPersonScore(page) {
  await page.click('[data-testid=vision-camera]');
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=vision-status]');
    const m = s && s.textContent.match(/camera: (\d+) frames/);
    return m && Number(m[1]) >= 4 && document.querySelector('[data-testid=vision-scores] li[data-label=person]');
  }, null, { timeout: 30000 });
  const score = Number(await page.getAttribute('[data-testid=vision-scores] li[data-label=person]', 'data-score'));
  await page.click('[data-testid=vision-stop]');
  return score;
}

async function session(wav, picture, y4m, extra) {
  const { browser, page } = await launch([
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}`,
    `--use-file-for-fake-video-capture=${y4m}`,
    '--autoplay-policy=no-user-gesture-required',
  ]);
  const result = {};
  try {
    result.heard = await hear(page);
    await shot(page, `media-wakeword-${path.basename(wav, '.wav')}`);
    if (extra) await extra(page, result);
    await loadPersonDetect(page);
    result.person = await cameraPersonScore(page);
    await shot(page, `media-vision-${path.basename(picture, '.bmp')}`);
    // The same picture uploaded: the page's input bytes and outputs against the CLI's.
    await page.setInputFiles('[data-testid=vision-image-file]', picture);
    await page.waitForFunction((name) => {
      const s = document.querySelector('[data-testid=vision-status]');
      const v = document.querySelector('[data-testid=vision-model-view]');
      return s && s.textContent === name && v && v.dataset.busy === 'false' && v.dataset.inputHex && v.dataset.rawOutput;
    }, path.basename(picture), { timeout: 30000 });
    result.inputHex = await page.getAttribute('[data-testid=vision-model-view]', 'data-input-hex');
    result.raw = await page.getAttribute('[data-testid=vision-model-view]', 'data-raw-output');
  } catch (e) {
    result.error = e;
    await shot(page, `media-failure-${path.basename(wav, '.wav')}`);
  }
  await expectClean(page);
  await browser.close();
  return result;
}

/** The CLI's input tensor and int8 outputs for a picture. */
function cliPath(picture) {
  const input = path.join(tmp, `${path.basename(picture)}.in`);
  const output = path.join(tmp, `${path.basename(picture)}.out`);
  tinyml(['image', picture, '--model', PERSON_DETECT, '--output', input]);
  tinyml(['run', PERSON_DETECT, '--input', input, '--output', output]);
  return { inputHex: fs.readFileSync(input).toString('hex'), raw: [...fs.readFileSync(output)].join(',') };
}

const needed = [path.join(SPEECH, 'yes_1000ms.wav'), path.join(SPEECH, 'no_1000ms.wav'),
  path.join(PICTURES, 'person.bmp'), path.join(PICTURES, 'no_person.bmp'), PERSON_DETECT,
  MICRO_SPEECH, PREPROCESSOR, path.join(MNIST, 't10k-images-idx3-ubyte.gz'), DIGITS];
const missing = needed.filter((f) => !fs.existsSync(f));
if (missing.length > 0) {
  skip('the Wake word and Vision pages with fake devices', `missing ${missing.join(', ')}`);
  finish();
}

/** Launch 1's further checks: a WAV file, micro_speech, a microWakeWord model. */
async function moreAudio(page, result) {
  // The other word from a file, while the fake microphone says "yes".
  result.file = await hear(page, { wav: path.join(SPEECH, 'no_1000ms.wav'), wait: 2500 });
  result.microSpeech = await hear(page, { setup: microSpeech });
  await shot(page, 'media-wakeword-micro-speech');
  if (WAKE_MODELS) {
    result.wake = await wakeWord(page, path.join(WAKE_MODELS, 'okay_nabu.tflite'), 3000, OKAY_NABU);
    await shot(page, 'media-wakeword-okay-nabu');
  }
}

/** Launch 2's further check: a picture of an MNIST test digit with the default model. */
const DIGIT_INDEX = 0; // in the digits card's held-out split (index % 5 == 0)
async function digitPicture(page, result) {
  const picture = path.join(tmp, `mnist-${DIGIT_INDEX}.bmp`);
  result.digitLabel = String(mnistPicture(DIGIT_INDEX, picture));
  result.digitPath = picture;
  result.digit = await classifyDigit(page, picture);
  await shot(page, 'media-vision-digit');
}

const runs = {};
for (const [word, picture] of [['yes', 'person'], ['no', 'no_person']]) {
  const bmp = path.join(PICTURES, `${picture}.bmp`);
  const y4m = path.join(tmp, `${picture}.y4m`);
  writeY4m(photograph(readGrayBmp(bmp)), y4m);
  const run = await session(path.join(SPEECH, `${word}_1000ms.wav`), bmp, y4m, word === 'yes' ? moreAudio : digitPicture);
  runs[word] = run;
  await check(`the fake microphone playing ${word}_1000ms.wav: the keyword model hears "${word}"`, async () => {
    if (run.error) throw run.error;
    assert(run.heard.labels.length > 0, 'no detection');
    assertEq([...new Set(run.heard.labels)], [word], 'words heard');
    assert(run.heard.arena > 0, 'the arena used is shown');
  });
  await check(`an uploaded ${picture}.bmp gives person_detect the CLI's input bytes and outputs`, async () => {
    if (run.error) throw run.error;
    const cli = cliPath(bmp);
    assert(run.inputHex === cli.inputHex, `input bytes differ from \`tinyml image\` (${run.inputHex.length / 2} vs ${cli.inputHex.length / 2} bytes)`);
    assertEq(run.raw.split(',').map((b) => (Number(b) << 24) >> 24).join(','),
      cli.raw.split(',').map((b) => (Number(b) << 24) >> 24).join(','), 'outputs (int8)');
  });
}

await check('a WAV file played into the page (no_1000ms.wav) is heard as "no"', async () => {
  if (runs.yes.error) throw runs.yes.error;
  assertEq([...new Set(runs.yes.file.labels)], ['no'], 'words heard');
});

await check('TFLM micro_speech, its features from audio_preprocessor_int8.tflite in a second slot, hears "yes"', async () => {
  if (runs.yes.error) throw runs.yes.error;
  assertEq([...new Set(runs.yes.microSpeech.labels)], ['yes'], 'words heard');
});

if (WAKE_MODELS) {
  await check('a microWakeWord streaming model (okay_nabu, state in its slot) wakes on "okay nabu" from a file, not on the microphone\'s "yes"', async () => {
    if (runs.yes.error) throw runs.yes.error;
    const w = runs.yes.wake;
    console.log(`        okay_nabu: ${JSON.stringify(w)}`);
    assertEq(w.mic.label, 'Okay Nabu', 'the wake word from its .json');
    assertEq(w.mic.detections, [], 'detections on "yes"');
    assertEq(w.file.detections, ['Okay Nabu'], 'detections on okay_nabu.wav');
    assert(/ms|µs/.test(w.mic.latency), `latency ${w.mic.latency}`);
  });
} else {
  skip('a microWakeWord streaming model', 'WAKEWORD_MODELS (pymicro-wakeword\'s models folder) is not set');
}

await check('a photo-like picture of an MNIST test digit (dark on light) is classified by the digits model, inverted as the CLI does', async () => {
  if (runs.no.error) throw runs.no.error;
  const d = runs.no.digit;
  assert(d.invert, 'the digits model starts with "invert" on');
  assertEq(d.top, runs.no.digitLabel, 'class');
  const cli = path.join(tmp, 'digit.in');
  tinyml(['image', runs.no.digitPath, '--model', DIGITS, '--invert', '--output', cli]);
  assert(d.inputHex === fs.readFileSync(cli).toString('hex'), 'input bytes differ from `tinyml image --invert`');
});

await check('the camera showing person.bmp scores "person" higher than showing no_person.bmp', async () => {
  for (const r of Object.values(runs)) if (r.error) throw r.error;
  console.log(`        person score: person.bmp ${runs.yes.person}, no_person.bmp ${runs.no.person}`);
  assert(runs.yes.person > runs.no.person, `person ${runs.yes.person} <= no person ${runs.no.person}`);
});

fs.rmSync(tmp, { recursive: true, force: true });
finish();
