// The bridge the WebUSB tests share: the Rust simulators of the STM32 DfuSe bootloader and the
// RP2040 boot ROM (`dfuse_simulate --serve [--device rp2040]`), one request per line on
// stdin/stdout, which a fake `navigator.usb` in the page reaches through page.exposeFunction.

import { spawn } from 'node:child_process';

/** A running simulator; `ask` sends one request line and resolves to its answer line. */
export class Simulator {
  constructor(bin, args = []) {
    this.child = spawn(bin, ['--serve', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.buffer = '';
    this.waiting = [];
    this.queue = Promise.resolve();
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d) => {
      this.buffer += d;
      let i;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
  }

  /** One request, answered in order (requests are queued, never interleaved). */
  ask(line) {
    const answer = this.queue.then(() => new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${line}\n`);
    }));
    this.queue = answer.catch(() => {});
    return answer;
  }

  /** `ask`, failing unless the answer is `ok ...`; the rest of the answer. */
  async must(line) {
    const a = await this.ask(line);
    if (!a.startsWith('ok')) throw new Error(`simulator: ${line} -> ${a}`);
    return a.slice(3);
  }

  close() {
    this.child.stdin.end();
  }
}

/** Fails with the first differing byte unless `actual` equals `expected`. */
export function assertBytes(actual, expected, what) {
  if (Buffer.compare(actual, expected) === 0) return;
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  throw new Error(`${what}: ${actual.length} B vs ${expected.length} B, first difference at byte ${at}`);
}
