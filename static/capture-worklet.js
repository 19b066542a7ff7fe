// The Wake word page's AudioWorklet: copies channel 0 of its input into blocks of 1024
// samples and posts each to the page (web/src/demos/media.rs), which resamples them to 16 kHz
// and runs the micro frontend in Rust. Blocks of 1024 (8 render quanta) keep the messages few.
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(1024);
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      let at = 0;
      while (at < channel.length) {
        const n = Math.min(channel.length - at, this.block.length - this.filled);
        this.block.set(channel.subarray(at, at + n), this.filled);
        this.filled += n;
        at += n;
        if (this.filled === this.block.length) {
          this.port.postMessage(this.block, [this.block.buffer]);
          this.block = new Float32Array(1024);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor('tinyml-capture', Capture);
