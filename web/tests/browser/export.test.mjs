// Browser tests of the Export panel: Debian's chromium, driven by playwright-core, against the
// release build in dist/ served on loopback (as playground.test.mjs).
//
// (a) The page's downloads equal `tinyml export` byte for byte, for each board and format (the
//     formats a board's loader does not read are not offered, with the CLI's reason), on
//     hello_world_int8 and person_detect with the run panel's input; a model too large for a
//     board's flash is refused in the deploy crate's words.
// (b) Flashing over WebUSB end to end against a fake `navigator.usb` whose DFU requests are
//     answered by the real Rust simulator of the STM32F405 bootloader
//     (`dfuse_simulate --serve`, bridged through page.exposeFunction): afterwards the simulated
//     flash holds the exported .bin at 0x08000000, and (with qemu-system-arm) boots under QEMU's
//     netduinoplus2 printing `tinyml run`'s outputs.
// (c) The error paths: no WebUSB, no device chosen, access denied (the udev rule), unplugged
//     mid-flash (plain message, everything released, a second attempt succeeds), a device of
//     another family refused before anything is erased.
//
// Usage: node export.test.mjs   (scripts/test sets the variables below)
//   PLAYGROUND_URL  the served dist/ (http://127.0.0.1:PORT/)
//   TINYML          path of the release `tinyml` binary
//   DFUSE_SIM       path of deploy's `dfuse_simulate` example binary
//   TINYML_SHARED   the shared test data (models/tflm/*.tflite)
//   ARTIFACTS       where screenshots go (target/browser-artifacts)
//   CHROMIUM        the browser (/usr/bin/chromium)
// Prints one line per check and closes with "N passed, N failed, N skipped".

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ARTIFACTS, SHARED, TINYML, URL, assertEq, check, expectClean, finish, launch, skip, xorshiftBytes,
} from './harness.mjs';
import { Simulator, assertBytes } from './usb_sim.mjs';

const DFUSE_SIM = process.env.DFUSE_SIM ?? 'target/release/examples/dfuse_simulate';

const BOARDS = ['netduinoplus2', 'stm32f411-blackpill', 'stm32f407-discovery', 'pico'];
const FORMATS = ['bin', 'hex', 'dfu', 'uf2', 'c'];
const LAYOUT_F405 = '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg';
/** An STM32F103's bootloader-style layout: not an STM32F4 at all. */
const LAYOUT_F103 = '@Internal Flash  /0x08000000/128*0001Kg';
const UDEV_RULE = 'SUBSYSTEM=="usb", ATTR{idVendor}=="0483", ATTR{idProduct}=="df11", MODE="0660", TAG+="uaccess"';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-export-'));

async function shot(page, name) {
  await page.locator('#export').screenshot({ path: path.join(ARTIFACTS, `export-${name}.png`) });
}

/** `tinyml export`'s file(s): one Buffer, or for `c` the .cc and the .h. */
function cliExport(model, board, format, inputFile) {
  const run = (args) => {
    const r = spawnSync(TINYML, ['export', model, '--board', board, '--format', format, ...args], { encoding: 'utf8' });
    // "tinyml: /path/model.tflite: the model does not fit ..." -> the deploy crate's words.
    return r.status === 0 ? null : r.stderr.trim().replace(/^tinyml: /, '').replace(`${model}: `, '');
  };
  if (format === 'c') {
    const dir = path.join(tmp, `c-${path.basename(model)}-${board}`);
    const error = run(['--output', dir]);
    if (error) return { error };
    return { files: [fs.readFileSync(path.join(dir, 'model_data.cc')), fs.readFileSync(path.join(dir, 'model_data.h'))] };
  }
  const out = path.join(tmp, `cli-${path.basename(model)}-${board}.${format}`);
  const error = run(['--input', inputFile, '--output', out]);
  return error ? { error } : { files: [fs.readFileSync(out)] };
}

async function loadModel(page, file, name = path.basename(file)) {
  await page.setInputFiles('[data-testid=model-file]', file);
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid=summary] h2')?.textContent.startsWith(n)
      || document.querySelector('[data-testid=load-error]'),
    name,
    { timeout: 30000 },
  );
  const err = await page.$('[data-testid=load-error]');
  if (err) throw new Error(`load error: ${await err.textContent()}`);
  await page.waitForSelector('[data-testid=export-download]');
}

/** Clicks `selector` and returns the downloaded file's name and bytes. */
async function downloadOf(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click(selector)]);
  return { name: dl.suggestedFilename(), bytes: fs.readFileSync(await dl.path()) };
}

/** The number of the last export the panel shows (0: none yet). */
async function exportSeq(page) {
  return page.evaluate(() => Math.max(0, ...['.export-files', '[data-testid=export-error]', '[data-testid=export-summary]']
    .map((q) => Number(document.querySelector(q)?.dataset.seq ?? 0))));
}

/** The bytes behind one of the panel's file links (its blob: URL), read in the page. */
async function linkBytes(page, selector) {
  const b64 = await page.$eval(selector, async (a) => {
    const bytes = new Uint8Array(await (await fetch(a.href)).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  });
  return Buffer.from(b64, 'base64');
}

/**
 * Exports with the panel's choices; returns the page's file(s) (for c: .cc, .h), their names
 * and the carried input. With `save`, the file comes through a real browser download (the
 * button's for one file, the links' for the C array's two); otherwise it is read from the links
 * the panel lists (browsers hold back many downloads in a row that no click asked for).
 */
async function pageExport(page, board, format, save = false) {
  await page.selectOption('[data-testid=export-board]', board);
  await page.selectOption('[data-testid=export-format]', format);
  const before = await exportSeq(page);
  let saved = null;
  if (save && format !== 'c') {
    saved = await downloadOf(page, '[data-testid=export-download]');
  } else {
    await page.click('[data-testid=export-download]');
  }
  await page.waitForFunction((n) => Number(document.querySelector('.export-files')?.dataset.seq) > n
    || Number(document.querySelector('[data-testid=export-error]')?.dataset.seq) > n, before, { timeout: 60000 });
  const refused = await page.$('[data-testid=export-error]');
  if (refused) return { error: (await refused.textContent()).trim() };
  const links = await page.$$eval('[data-testid=export-file]', (as) => as.map((a) => a.dataset.name));
  const files = [];
  for (const name of links) {
    const selector = `[data-testid=export-file][data-name="${name}"]`;
    if (save && format === 'c') {
      const d = await downloadOf(page, selector);
      assertEq(d.name, name, 'downloaded name');
      files.push(d.bytes);
    } else {
      files.push(await linkBytes(page, selector));
    }
  }
  if (saved) {
    assertEq(saved.name, links[0], 'downloaded name');
    assertBytes(saved.bytes, files[0], 'the download and the link');
  }
  const input = format === 'c' ? null : await linkBytes(page, '[data-testid=export-input]');
  return { files, names: links, input };
}

/**
 * The fake `navigator.usb`, run in the page before its scripts: USB-level behaviour here
 * (descriptors, open/claim bookkeeping, DOMExceptions as Chrome raises them), DFU class requests
 * forwarded to the simulator through window.__dfuSim. window.__usbScenario says what the next
 * requestDevice/open should do.
 */
function fakeUsb() {
  const log = [];
  window.__usbLog = log;
  const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
  const unhex = (s) => new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));
  const OTHER = ['@Option Bytes  /0x1FFFC000/01*016 e', '@OTP Memory /0x1FFF7800/01*512 e,01*016 e',
    '@Device Feature/0xFFFF0000/01*004 e'];
  const gone = () => new DOMException('The device was disconnected.', 'NotFoundError');

  function makeDevice(transferSize, layout, withNames) {
    const names = [layout, ...OTHER];
    const alternates = names.map((name, i) => ({
      alternateSetting: i, interfaceClass: 0xfe, interfaceSubclass: 1, interfaceProtocol: 2,
      interfaceName: withNames ? name : null, endpoints: [],
    }));
    const iface = { interfaceNumber: 0, alternate: alternates[0], alternates, claimed: false };
    const config = { configurationValue: 1, configurationName: null, interfaces: [iface] };
    const desc = [9, 2, 0, 0, 1, 1, 0, 0xc0, 50];
    for (const a of alternates) desc.push(9, 4, 0, a.alternateSetting, 0, 0xfe, 1, 2, 4 + a.alternateSetting);
    desc.push(9, 0x21, 0x0b, 0xff, 0x00, transferSize & 0xff, transferSize >> 8, 0x1a, 0x01);
    desc[2] = desc.length & 0xff;
    desc[3] = desc.length >> 8;
    let unplugged = false;
    const dev = {
      vendorId: 0x0483, productId: 0xdf11, productName: 'STM32  BOOTLOADER',
      manufacturerName: 'STMicroelectronics', serialNumber: 'SIMULATED', opened: false,
      configuration: null, configurations: [config],
      async open() {
        log.push('open');
        const s = await window.__usbScenario();
        if (s.open) throw new DOMException('Access denied.', s.open);
        dev.opened = true;
      },
      async close() {
        log.push('close');
        dev.opened = false;
        if (unplugged) throw gone();
      },
      async selectConfiguration(v) {
        log.push(`selectConfiguration ${v}`);
        if (!dev.opened) throw new DOMException('The device must be opened first.', 'InvalidStateError');
        dev.configuration = config;
      },
      async claimInterface(n) {
        log.push(`claimInterface ${n}`);
        if (unplugged) throw gone();
        iface.claimed = true;
      },
      async releaseInterface(n) {
        log.push(`releaseInterface ${n}`);
        iface.claimed = false;
        if (unplugged) throw gone();
      },
      async selectAlternateInterface(n, a) {
        log.push(`selectAlternateInterface ${n} ${a}`);
        iface.alternate = alternates[a];
      },
      async controlTransferIn(setup, length) {
        if (unplugged) throw gone();
        if (!dev.opened) throw new DOMException('The device must be opened first.', 'InvalidStateError');
        if (setup.requestType === 'standard') {
          if (setup.request === 6 && setup.value >> 8 === 2) {
            return { status: 'ok', data: new DataView(new Uint8Array(desc.slice(0, length)).buffer) };
          }
          const text = names[(setup.value & 0xff) - 4];
          if (setup.request === 6 && setup.value >> 8 === 3 && text !== undefined) {
            log.push(`string ${setup.value & 0xff}`);
            const d = [0, 3];
            for (let i = 0; i < text.length; i++) d.push(text.charCodeAt(i) & 0xff, text.charCodeAt(i) >> 8);
            d[0] = d.length;
            return { status: 'ok', data: new DataView(new Uint8Array(d.slice(0, length)).buffer) };
          }
          return { status: 'stall' };
        }
        if (!iface.claimed) throw new DOMException('The interface is not claimed.', 'InvalidStateError');
        return answer(await window.__dfuSim(`in ${setup.request} ${setup.value} ${length}`));
      },
      async controlTransferOut(setup, data) {
        if (unplugged) throw gone();
        if (!iface.claimed) throw new DOMException('The interface is not claimed.', 'InvalidStateError');
        let bytes = new Uint8Array(0);
        if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
        else if (data) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const r = answer(await window.__dfuSim(`out ${setup.request} ${setup.value} ${hex(bytes)}`));
        return { status: r.status, bytesWritten: bytes.length };
      },
    };
    function answer(line) {
      if (line.startsWith('ok')) return { status: 'ok', data: new DataView(unhex(line.slice(3)).buffer) };
      if (line === 'err stall') return { status: 'stall' };
      if (line === 'err disconnected') {
        unplugged = true;
        log.push('unplugged');
        throw new DOMException('A transfer error has occurred.', 'NetworkError');
      }
      throw new Error(`simulator: ${line}`);
    }
    return dev;
  }

  const usb = {
    async requestDevice(options) {
      log.push('requestDevice');
      const f = options?.filters?.[0];
      if (!f || f.vendorId !== 0x0483 || f.productId !== 0xdf11) {
        throw new DOMException('No device selected.', 'NotFoundError');
      }
      const s = await window.__usbScenario();
      if (s.request) throw new DOMException('No device selected.', s.request);
      const [size, ...layout] = s.device.split(' ');
      return makeDevice(Number(size), layout.join(' '), !s.noNames);
    },
    async getDevices() { return []; },
    addEventListener() {},
    removeEventListener() {},
    onconnect: null,
    ondisconnect: null,
  };
  Object.defineProperty(Navigator.prototype, 'usb', { configurable: true, get: () => usb });
}

const tflm = path.join(SHARED, 'models', 'tflm');
const hello = path.join(tflm, 'hello_world_int8.tflite');
const person = path.join(tflm, 'person_detect.tflite');

const { browser, context, page } = await launch([], { width: 1360, height: 1000 }, { acceptDownloads: true });

const sim = new Simulator(DFUSE_SIM);
const scenario = { request: null, open: null, noNames: false, device: '' };
await page.exposeFunction('__dfuSim', (line) => sim.ask(line));
await page.exposeFunction('__usbScenario', () => scenario);
await page.addInitScript(fakeUsb);

/** A fresh simulated device with this layout (f405, f411 or a layout string). */
async function plugIn(kind) {
  const info = await sim.must(`device ${kind}`);
  scenario.request = null;
  scenario.open = null;
  scenario.noNames = false;
  scenario.device = info;
}

async function flashOnce(page) {
  await page.evaluate(() => { window.__usbLog.length = 0; });
  const attempt = Number(await page.$eval('[data-testid=export-panel]', (e) => e.dataset.attempt));
  await page.click('[data-testid=export-flash]');
  const done = `[data-testid=flash-status][data-state][data-attempt="${attempt + 1}"]`;
  await page.waitForSelector(done, { timeout: 120000 });
  return {
    state: await page.getAttribute('[data-testid=flash-status]', 'data-state'),
    text: (await page.textContent(done)).trim(),
    log: await page.evaluate(() => [...window.__usbLog]),
  };
}

await check('the page opens; a model loads and the Export panel shows', async () => {
  await page.goto(URL);
  await page.waitForSelector('[data-testid=model-file]');
  await loadModel(page, hello);
});

// (a) Downloads equal the CLI's files.
const models = [
  { file: hello, slug: 'hello_world_int8', input: 'random' },
  { file: person, slug: 'person_detect', input: 'file' },
];
let helloBin = null;
let helloInput = null;
for (const m of models) {
  const info = JSON.parse(execFileSync(TINYML, ['inspect', '--json', m.file], { encoding: 'utf8' }));
  const need = info.inputs.reduce((s, t) => s + t.bytes, 0);
  let input = null;
  await check(`${m.slug}: the run panel's input goes into the image (${m.input})`, async () => {
    await loadModel(page, m.file);
    if (m.input === 'random') {
      // Zeros first: the carried input is each input's zero point.
      await page.check('#input-zero');
      const zero = await pageExport(page, 'netduinoplus2', 'bin', true);
      const expected = Buffer.concat(info.inputs.map((t) => Buffer.alloc(t.bytes, t.zero_point & 0xff)));
      assertBytes(zero.input, expected, 'zero input');
      await page.check('#input-random');
      await page.fill('#seed', '7');
      await page.dispatchEvent('#seed', 'change');
    } else {
      await page.setInputFiles('[data-testid=input-file]', { name: 'input.bin', mimeType: 'application/octet-stream', buffer: xorshiftBytes(need, 99) });
      await page.waitForSelector('[data-testid=input-file-name]');
    }
    const e = await pageExport(page, 'netduinoplus2', 'bin');
    input = e.input;
    assertEq(input.length, need, 'input bytes');
    if (m.input === 'file') assertBytes(input, xorshiftBytes(need, 99), 'carried input equals the file');
  });
  if (!input) continue;
  const inputFile = path.join(tmp, `${m.slug}-input.bin`);
  fs.writeFileSync(inputFile, input);
  for (const board of BOARDS) {
    for (const format of FORMATS) {
      await check(`${m.slug} ${board} ${format}: the page's download equals tinyml export`, async () => {
        const want = cliExport(m.file, board, format, inputFile);
        if (want.error?.startsWith(`no ${format} export for ${board}:`)) {
          // A format the board's loader does not read (hex, dfu for the Pico): not offered.
          await page.selectOption('[data-testid=export-board]', board);
          const disabled = await page.$eval(`[data-testid=export-format] option[value="${format}"]`, (o) => o.disabled);
          assertEq(disabled, true, `${format} offered for ${board}`);
          const why = await page.$eval(`[data-testid=export-format] option[value="${format}"]`, (o) => o.title);
          assertEq(`no ${format} export for ${board}: ${why}`, want.error, 'the reason, in the CLI\'s words');
          return;
        }
        // Real downloads for the first model's first board; the rest read the same links.
        const got = await pageExport(page, board, format, m.slug === 'hello_world_int8' && board === BOARDS[0]);
        if (want.error || got.error) {
          // Refused by both, in the same words (person_detect and its input on the Black Pill).
          assertEq(got.error, want.error, 'refusal');
          return;
        }
        assertEq(got.files.length, want.files.length, 'files');
        want.files.forEach((w, i) => assertBytes(got.files[i], w, got.names[i]));
        if (format !== 'c') {
          const stem = path.basename(m.file, '.tflite');
          assertEq(got.names[0], `${stem}-${board}.${format}`, 'file name');
          assertBytes(got.input, input, 'the same input each time');
        }
        if (m.slug === 'hello_world_int8' && board === 'netduinoplus2' && format === 'bin') {
          helloBin = got.files[0];
          helloInput = inputFile;
        }
      });
    }
  }
  await shot(page, m.slug);
}

await check('a model too large for the Black Pill\'s flash is refused with both figures, in the deploy crate\'s words', async () => {
  // person_detect with 100 KB of trailing bytes (ignored by the engine), as firmware/qemu_check.py.
  const padded = path.join(tmp, 'person_detect_padded.tflite');
  fs.writeFileSync(padded, Buffer.concat([fs.readFileSync(person), Buffer.alloc(100 * 1024)]));
  // The page carries the run panel's input (zeros here); so does the CLI.
  const info = JSON.parse(execFileSync(TINYML, ['inspect', '--json', person], { encoding: 'utf8' }));
  const zeros = path.join(tmp, 'person_detect_zeros.bin');
  fs.writeFileSync(zeros, Buffer.concat(info.inputs.map((t) => Buffer.alloc(t.bytes, t.zero_point & 0xff))));
  const r = spawnSync(TINYML, ['export', padded, '--board', 'stm32f411-blackpill', '--format', 'bin',
    '--input', zeros, '--output', path.join(tmp, 'refused.bin')], { encoding: 'utf8' });
  if (r.status === 0) throw new Error('the CLI accepted it');
  const words = r.stderr.trim().replace(/^tinyml: /, '').replace(`${padded}: `, '');
  if (!/flash: its slot needs [\d,]+ B but the firmware leaves [\d,]+ B of the [\d,]+ B flash/.test(words)) {
    throw new Error(`CLI: ${words}`);
  }
  await loadModel(page, padded);
  await page.selectOption('[data-testid=export-board]', 'stm32f411-blackpill');
  await page.selectOption('[data-testid=export-format]', 'bin');
  await page.click('[data-testid=export-download]');
  await page.waitForSelector('[data-testid=export-error]', { timeout: 60000 });
  assertEq((await page.textContent('[data-testid=export-error]')).trim(), words, 'refusal');
  await shot(page, 'refused');
});

// (b) and (c): flashing over the fake WebUSB, against the simulator.
await check('flash: no device chosen says so plainly', async () => {
  await loadModel(page, hello);
  await page.check('#input-random');
  await page.fill('#seed', '7');
  await page.dispatchEvent('#seed', 'change');
  await page.selectOption('[data-testid=export-board]', 'netduinoplus2');
  await plugIn('f405');
  scenario.request = 'NotFoundError';
  const r = await flashOnce(page);
  assertEq(r.state, 'failed', 'state');
  if (!r.text.startsWith('No device was chosen')) throw new Error(r.text);
  assertEq(r.log, ['requestDevice'], 'USB calls');
});

await check('flash: access denied shows the Linux udev rule, and nothing stays open', async () => {
  await plugIn('f405');
  scenario.open = 'SecurityError';
  const r = await flashOnce(page);
  assertEq(r.state, 'failed', 'state');
  if (!r.text.startsWith('Access to the device was denied')) throw new Error(r.text);
  assertEq((await page.textContent('[data-testid=udev-rule]')).trim(), UDEV_RULE, 'udev rule');
  // open() failed: nothing was opened or claimed, so nothing needs letting go.
  assertEq(r.log, ['requestDevice', 'open'], 'USB calls');
  await shot(page, 'access-denied');
});

for (const [kind, what] of [['f411', 'an STM32F411 (512 KB)'], [LAYOUT_F103, 'an STM32F103 layout']]) {
  await check(`flash: ${what} when netduinoplus2 is chosen is refused before erasing`, async () => {
    await plugIn(kind);
    const r = await flashOnce(page);
    assertEq(r.state, 'failed', 'state');
    if (!r.text.includes('this image is for netduinoplus2 (STM32F405RG, 1024 KB flash)')) throw new Error(r.text);
    const stats = await sim.must('stats');
    assertEq(stats, 'erased= left_to=none', 'simulator');
    if (!(r.log.includes('releaseInterface 0') && r.log.includes('close'))) throw new Error(`not released: ${r.log}`);
  });
}

async function flashAndCompare(slug, stringsRead) {
  const r = await flashOnce(page);
  assertEq(r.log.filter((l) => l.startsWith('string ')), stringsRead, 'string descriptors read');
  if (r.state !== 'done') throw new Error(r.text);
  if (!r.text.startsWith('Flashed netduinoplus2')) throw new Error(r.text);
  const stats = await sim.must('stats');
  if (!stats.endsWith('left_to=0x08000000')) throw new Error(`did not leave DFU to 0x08000000: ${stats}`);
  const dump = path.join(tmp, `${slug}-flash.bin`);
  await sim.must(`save ${dump}`);
  const flash = fs.readFileSync(dump);
  assertBytes(flash.subarray(0, helloBin.length), helloBin, 'simulated flash vs the exported .bin');
  // Sectors past the image are untouched (the simulator fills them with 0x5A).
  if (flash[flash.length - 1] !== 0x5a) throw new Error('the last sector was erased');
  return dump;
}

let flashed = null;
await check('flash: unplugged mid-write says so plainly and releases everything; a retry succeeds', async () => {
  if (!helloBin) throw new Error('no exported .bin to compare with');
  await plugIn('f405');
  await sim.must('unplug 60');
  const first = flashOnce(page);
  await page.waitForSelector('[data-testid=flash-progress]', { timeout: 60000 });
  const r = await first;
  assertEq(r.state, 'failed', 'state');
  if (!r.text.startsWith('The board was disconnected while flashing')) throw new Error(r.text);
  const after = r.log.slice(r.log.indexOf('unplugged'));
  if (!(after.includes('releaseInterface 0') && after.includes('close'))) throw new Error(`after the unplug: ${after}`);
  await shot(page, 'unplugged');
  // Plugged in again (BOOT0 still high): the same flash, a fresh USB session.
  await sim.must('replug');
  flashed = await flashAndCompare('retry', []);
});

await check('flash: end to end, the simulated flash holds the exported .bin (layout read from the string descriptor)', async () => {
  if (!helloBin) throw new Error('no exported .bin to compare with');
  await plugIn('f405');
  // This browser leaves interfaceName empty: the page reads the layout string itself.
  scenario.noNames = true;
  flashed = await flashAndCompare('fresh', ['string 4', 'string 5', 'string 6', 'string 7']);
  await shot(page, 'flashed');
});

const qemu = spawnSync('qemu-system-arm', ['--version']).status === 0;
if (!qemu) {
  skip('the flashed image boots under QEMU', 'qemu-system-arm is not installed');
} else {
  await check('the flashed image boots under QEMU netduinoplus2 and prints tinyml run\'s outputs', async () => {
    if (!flashed) throw new Error('nothing was flashed');
    const info = JSON.parse(execFileSync(TINYML, ['inspect', '--json', hello], { encoding: 'utf8' }));
    const outs = info.outputs.map((_, i) => path.join(tmp, `run-out${i}.bin`));
    execFileSync(TINYML, ['run', hello, '--input', helloInput, ...outs.flatMap((f) => ['--output', f])]);
    const r = spawnSync('qemu-system-arm', ['-M', 'netduinoplus2', '-nographic', '-monitor', 'none',
      '-semihosting-config', 'enable=on,target=native', '-icount', 'shift=0',
      '-device', `loader,file=${flashed},addr=0x08000000`], { encoding: 'utf8', timeout: 60000 });
    assertEq(r.status, 0, `QEMU exit (${(r.stdout ?? '').trim().split('\n').slice(-2).join(' | ')})`);
    const lines = r.stdout.replace(/\r/g, '').split('\n');
    outs.forEach((f, i) => {
      const line = lines.find((l) => l.startsWith(`tinyml: output${i} `));
      assertEq(line, `tinyml: output${i} ${fs.readFileSync(f).toString('hex')}`, `output ${i}`);
    });
  });
}

await check('no WebUSB in this browser: a plain message', async () => {
  const plain = await context.newPage();
  await plain.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'usb', { configurable: true, get: () => undefined });
  });
  await plain.goto(URL);
  await loadModel(plain, hello);
  await plain.click('[data-testid=export-flash]');
  await plain.waitForSelector('[data-testid=flash-status][data-state=failed]');
  const text = (await plain.textContent('[data-testid=flash-status]')).trim();
  if (!text.startsWith('This browser has no WebUSB')) throw new Error(text);
  await plain.close();
});

await expectClean(page);

sim.close();
await browser.close();
fs.rmSync(tmp, { recursive: true, force: true });
finish();
