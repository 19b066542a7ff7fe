// Browser tests of flashing a Raspberry Pi Pico from the Export panel over WebUSB, through the
// RP2040 boot ROM's PICOBOOT interface: Debian's chromium, driven by playwright-core, against
// the release build in dist/ served on loopback.
//
// A fake `navigator.usb` plays the boot ROM's USB device (the RPI-RP2 mass-storage interface and
// the PICOBOOT vendor interface with its two bulk endpoints); its bulk transfers and vendor
// requests go to the real Rust simulator of the boot ROM (`dfuse_simulate --serve --device
// rp2040`, bridged through page.exposeFunction).
//
// (a) hello_world_int8's Pico .bin from the page equals `tinyml export --board pico --format bin`.
// (b) Flashing end to end: afterwards the simulated flash from 0x10000000 equals that .bin, only
//     the sectors it spans were erased, and the Pico rebooted (with the RPI-RP2 drive being
//     written by the OS at the same time: exclusive access keeps it out).
// (c) The error paths: no device chosen, access denied (the udev rule for 2e8a:0003), unplugged
//     mid-flash (plain message, everything released, a retry succeeds), a device that is not an
//     RP2040 boot ROM refused before erasing (no PICOBOOT interface; another chip's ROM), no
//     WebUSB at all (the .uf2 instead).
//
// Usage: node pico_flash.test.mjs   (scripts/test sets the variables of harness.mjs, and
//   DFUSE_SIM  path of deploy's `dfuse_simulate` example binary)

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  URL, TINYML, SHARED, ARTIFACTS, check, assert, assertEq, launch, expectClean, finish,
} from './harness.mjs';
import { Simulator, assertBytes } from './usb_sim.mjs';

const DFUSE_SIM = process.env.DFUSE_SIM ?? 'target/release/examples/dfuse_simulate';
const UDEV_RULE = 'SUBSYSTEM=="usb", ATTR{idVendor}=="2e8a", ATTR{idProduct}=="0003", MODE="0660", TAG+="uaccess"';
const hello = path.join(SHARED, 'models', 'tflm', 'hello_world_int8.tflite');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyml-pico-'));

/**
 * The fake `navigator.usb`, run in the page before its scripts: the boot ROM's descriptors
 * (interface 0: the RPI-RP2 drive, held by the OS's usb-storage driver; interface 1: PICOBOOT,
 * bulk OUT 3 and IN 4), open/claim bookkeeping and DOMExceptions as Chrome raises them;
 * PICOBOOT transfers go to the simulator through window.__picoSim. window.__usbScenario says
 * what the next requestDevice/open should do and which device it is.
 */
function fakePicoUsb() {
  const log = [];
  window.__usbLog = log;
  const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
  const unhex = (s) => new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));
  const gone = () => new DOMException('The device was disconnected.', 'NotFoundError');

  function makeDevice(withPicoboot) {
    const ep = (n, direction) => ({ endpointNumber: n, direction, type: 'bulk', packetSize: 64 });
    const msd = {
      interfaceNumber: 0, claimed: false,
      alternates: [{ alternateSetting: 0, interfaceClass: 8, interfaceSubclass: 6, interfaceProtocol: 0x50,
        interfaceName: null, endpoints: [ep(1, 'out'), ep(2, 'in')] }],
    };
    const vendor = {
      interfaceNumber: 1, claimed: false,
      alternates: [{ alternateSetting: 0, interfaceClass: 0xff, interfaceSubclass: 0, interfaceProtocol: 0,
        interfaceName: null, endpoints: [ep(3, 'out'), ep(4, 'in')] }],
    };
    const interfaces = withPicoboot ? [msd, vendor] : [msd];
    const config = { configurationValue: 1, configurationName: null, interfaces };
    let unplugged = false;
    const dev = {
      vendorId: 0x2e8a, productId: 0x0003, productName: 'RP2 Boot', manufacturerName: 'Raspberry Pi',
      serialNumber: 'E0C9125B0D9B', opened: false, configuration: null, configurations: [config],
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
        // The kernel's usb-storage driver holds the drive's interface.
        if (n === 0) throw new DOMException('Unable to claim interface.', 'NetworkError');
        vendor.claimed = true;
      },
      async releaseInterface(n) {
        log.push(`releaseInterface ${n}`);
        vendor.claimed = false;
        if (unplugged) throw gone();
      },
      async transferOut(n, data) {
        ready(n, 3);
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const r = answer(await window.__picoSim(`bulk_out ${hex(bytes)}`));
        return { status: r.status, bytesWritten: r.status === 'ok' ? bytes.length : 0 };
      },
      async transferIn(n, length) {
        ready(n, 4);
        return answer(await window.__picoSim(`bulk_in ${length}`));
      },
      async clearHalt(direction, n) {
        ready(n, direction === 'in' ? 4 : 3);
        log.push(`clearHalt ${direction}`);
        const r = answer(await window.__picoSim(`clear_halt ${direction}`));
        if (r.status !== 'ok') throw new DOMException('Failed to clear halt.', 'NetworkError');
      },
      async controlTransferIn(setup, length) {
        ready(null, null);
        if (setup.requestType !== 'vendor' || setup.recipient !== 'interface' || setup.index !== 1) return { status: 'stall' };
        log.push(`control_in ${setup.request}`);
        return answer(await window.__picoSim(`control_in ${setup.request} ${length}`));
      },
      async controlTransferOut(setup) {
        ready(null, null);
        if (setup.requestType !== 'vendor' || setup.recipient !== 'interface' || setup.index !== 1) return { status: 'stall' };
        log.push(`control_out ${setup.request}`);
        const r = answer(await window.__picoSim(`control_out ${setup.request}`));
        return { status: r.status, bytesWritten: 0 };
      },
    };
    function ready(n, want) {
      if (unplugged) throw gone();
      if (!dev.opened) throw new DOMException('The device must be opened first.', 'InvalidStateError');
      if (!vendor.claimed) throw new DOMException('The interface is not claimed.', 'InvalidStateError');
      if (want !== null && n !== want) throw new DOMException(`No endpoint ${n} here.`, 'NotFoundError');
    }
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
      if (!f || f.vendorId !== 0x2e8a || f.productId !== 0x0003) {
        throw new DOMException('No device selected.', 'NotFoundError');
      }
      const s = await window.__usbScenario();
      if (s.request) throw new DOMException('No device selected.', s.request);
      return makeDevice(!s.noPicoboot);
    },
    async getDevices() { return []; },
    addEventListener() {},
    removeEventListener() {},
    onconnect: null,
    ondisconnect: null,
  };
  Object.defineProperty(Navigator.prototype, 'usb', { configurable: true, get: () => usb });
}

const { browser, context, page } = await launch();
const sim = new Simulator(DFUSE_SIM, ['--device', 'rp2040']);
const scenario = { request: null, open: null, noPicoboot: false };
await page.exposeFunction('__picoSim', (line) => sim.ask(line));
await page.exposeFunction('__usbScenario', () => scenario);
await page.addInitScript(fakePicoUsb);

/** A fresh simulated Pico in BOOTSEL mode (or `chip <magic>`: another chip's ROM). */
async function plugIn(kind = 'rp2040') {
  await sim.must(`device ${kind}`);
  Object.assign(scenario, { request: null, open: null, noPicoboot: false });
}

async function flashOnce() {
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

/** The bytes behind one of the panel's file links (its blob: URL), read in the page. */
async function linkBytes(selector) {
  const b64 = await page.$eval(selector, async (a) => {
    const bytes = new Uint8Array(await (await fetch(a.href)).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  });
  return Buffer.from(b64, 'base64');
}

let bin = null;
await check('the Pico is offered for flashing over WebUSB, with BOOTSEL instructions', async () => {
  await page.goto(URL);
  await page.setInputFiles('[data-testid=model-file]', hello);
  await page.waitForSelector('[data-testid=export-download]', { timeout: 30000 });
  await page.selectOption('[data-testid=export-board]', 'pico');
  assertEq(await page.isDisabled('[data-testid=export-flash]'), false, 'Flash disabled');
  const how = await page.textContent('[data-testid=flash-how]');
  assert(how.includes('Hold BOOTSEL while plugging the Pico in'), how);
});

await check('hello_world_int8: the page\'s Pico .bin equals tinyml export --board pico --format bin', async () => {
  await page.selectOption('[data-testid=export-format]', 'bin');
  await page.click('[data-testid=export-download]');
  await page.waitForSelector('[data-testid=export-file][data-name="hello_world_int8-pico.bin"]', { timeout: 60000 });
  bin = await linkBytes('[data-testid=export-file][data-name="hello_world_int8-pico.bin"]');
  const input = await linkBytes('[data-testid=export-input]');
  const inputFile = path.join(tmp, 'input.bin');
  fs.writeFileSync(inputFile, input);
  const out = path.join(tmp, 'cli.bin');
  const r = spawnSync(TINYML, ['export', hello, '--board', 'pico', '--format', 'bin', '--input', inputFile,
    '--output', out], { encoding: 'utf8' });
  assertEq(r.status, 0, `tinyml export (${r.stderr})`);
  assertBytes(bin, fs.readFileSync(out), 'page vs CLI');
});

await check('flash: no device chosen says so plainly (hold BOOTSEL)', async () => {
  await plugIn();
  scenario.request = 'NotFoundError';
  const r = await flashOnce();
  assertEq(r.state, 'failed', 'state');
  assert(r.text.startsWith('No device was chosen. Hold BOOTSEL'), r.text);
  assertEq(r.log, ['requestDevice'], 'USB calls');
});

await check('flash: access denied shows the udev rule for 2e8a:0003, and nothing stays open', async () => {
  await plugIn();
  scenario.open = 'SecurityError';
  const r = await flashOnce();
  assertEq(r.state, 'failed', 'state');
  assert(r.text.startsWith('Access to the device was denied'), r.text);
  assertEq((await page.textContent('[data-testid=udev-rule]')).trim(), UDEV_RULE, 'udev rule');
  assertEq(r.log, ['requestDevice', 'open'], 'USB calls');
  await page.locator('#export').screenshot({ path: path.join(ARTIFACTS, 'pico-access-denied.png') });
});

await check('flash: a device without the PICOBOOT interface is refused before anything is claimed', async () => {
  await plugIn();
  scenario.noPicoboot = true;
  const r = await flashOnce();
  assertEq(r.state, 'failed', 'state');
  assert(r.text.includes('has no PICOBOOT interface') && r.text.includes('not an RP2040 boot ROM'), r.text);
  assert(!r.log.some((l) => l.startsWith('claimInterface')), `claimed: ${r.log}`);
  assert(r.log.includes('close'), `not closed: ${r.log}`);
  assertEq(await sim.must('stats'), 'erased=0 first=none rebooted=none', 'simulator');
});

await check('flash: a PICOBOOT device whose ROM is not an RP2040\'s is refused before erasing', async () => {
  await plugIn('chip 4d750202');
  const r = await flashOnce();
  assertEq(r.state, 'failed', 'state');
  assert(r.text.includes('not an RP2040 boot ROM') && r.text.includes('4d 75 02 02'), r.text);
  assertEq(await sim.must('stats'), 'erased=0 first=none rebooted=none', 'simulator');
  assert(r.log.includes('releaseInterface 1') && r.log.includes('close'), `not released: ${r.log}`);
});

/** Sectors the simulator has erased so far. */
async function erasedSoFar() {
  return Number((await sim.must('stats')).match(/erased=(\d+)/)[1]);
}

async function flashAndCompare(slug) {
  const before = await erasedSoFar();
  const r = await flashOnce();
  if (r.state !== 'done') throw new Error(r.text);
  assert(r.text.startsWith('Flashed pico:'), r.text);
  const stats = await sim.must('stats');
  const sectors = Math.ceil(bin.length / 4096);
  // Exactly the sectors the .bin spans, from 0x10000000.
  assertEq(await erasedSoFar() - before, sectors, 'sectors erased by this attempt');
  assert(stats.endsWith('first=0x10000000 rebooted=0x0,0x20042000,500'), `simulator: ${stats}`);
  assert(r.text.includes(`${sectors} sectors of 4 KB erased`), r.text);
  const dump = path.join(tmp, `${slug}-flash.bin`);
  await sim.must(`save ${dump}`);
  const flash = fs.readFileSync(dump);
  assertBytes(flash.subarray(0, bin.length), bin, 'simulated flash vs the exported .bin');
  // Sectors past the image are untouched (the simulator fills them with 0x5A).
  assertEq(flash[sectors * 4096], 0x5a, 'the first sector past the image');
  assertEq(flash[flash.length - 1], 0x5a, 'the last sector');
  return r;
}

await check('flash: unplugged mid-write says so plainly and releases everything; a retry succeeds', async () => {
  assert(bin, 'no exported .bin to compare with');
  await plugIn();
  await sim.must('unplug 150');
  const first = flashOnce();
  await page.waitForSelector('[data-testid=flash-progress]', { timeout: 60000 });
  const r = await first;
  assertEq(r.state, 'failed', 'state');
  assert(r.text.startsWith('The Pico was disconnected while flashing'), r.text);
  const after = r.log.slice(r.log.indexOf('unplugged'));
  assert(after.includes('releaseInterface 1') && after.includes('close'), `after the unplug: ${after}`);
  await page.locator('#export').screenshot({ path: path.join(ARTIFACTS, 'pico-unplugged.png') });
  // Plugged in again with BOOTSEL held: the same flash, a fresh USB session.
  await sim.must('replug');
  await flashAndCompare('retry');
});

await check('flash: end to end while the OS writes the RPI-RP2 drive (exclusive access): the flash holds the .bin', async () => {
  assert(bin, 'no exported .bin to compare with');
  await plugIn();
  await sim.must('drive on');
  const r = await flashAndCompare('fresh');
  // A clean start (halts cleared, interface reset) before the first command.
  assertEq(r.log.slice(0, 7), ['requestDevice', 'open', 'selectConfiguration 1', 'claimInterface 1',
    'clearHalt in', 'clearHalt out', 'control_out 65'], 'USB calls');
  await page.locator('#export').screenshot({ path: path.join(ARTIFACTS, 'pico-flashed.png') });
});

await check('no WebUSB in this browser: a plain message pointing at the .uf2', async () => {
  const plain = await context.newPage();
  await plain.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'usb', { configurable: true, get: () => undefined });
  });
  await plain.goto(URL);
  await plain.setInputFiles('[data-testid=model-file]', hello);
  await plain.waitForSelector('[data-testid=export-download]', { timeout: 30000 });
  await plain.selectOption('[data-testid=export-board]', 'pico');
  await plain.click('[data-testid=export-flash]');
  await plain.waitForSelector('[data-testid=flash-status][data-state=failed]');
  const text = (await plain.textContent('[data-testid=flash-status]')).trim();
  assert(text.startsWith('This browser has no WebUSB') && text.includes('.uf2 file'), text);
  await plain.close();
});

await expectClean(page);

sim.close();
await browser.close();
fs.rmSync(tmp, { recursive: true, force: true });
finish();
