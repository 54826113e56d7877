/// <reference lib="webworker" />
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import '@tensorflow/tfjs-backend-wasm';
import { useBackend, tf } from '../src/engine/backend.js';
import { runArchive } from '../src/playground/bundle.js';
import { Lockstep, type Frame } from '../src/playground/lockstep.js';
import { setupOf } from '../src/playground/setup.js';
import type { PlaygroundState } from '../src/playground/state.js';
import type { Dataset } from '../src/data/dataset.js';
import type { ExperimentInfo, FromWorker, PlotPoints, ToWorker } from './protocol.js';

/*
 * Trains every column off the page's thread. One frame at a time: after
 * sending a frame it waits for the page to say it has drawn it, so a slow
 * page never builds a queue and the controls always answer at once.
 */

const scope = self as unknown as DedicatedWorkerGlobalScope;
const WASM_FILES = { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded };

/** `auto` tries these in order: for networks this small wasm beats a GPU, whose every kernel launch costs more than the math. */
const AUTO_ORDER = ['wasm', 'webgl', 'cpu'];

let backendReady: Promise<string> | null = null;
let lockstep: Lockstep | null = null;
let generation = 0;
let playing = false;
let waitingForPage = false;
let busy = false;
let speed = 1;

function send(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

async function startBackend(requested: string): Promise<string> {
  const candidates = requested === 'auto' ? AUTO_ORDER : [requested];
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
      await useBackend(name, { wasmPaths: WASM_FILES });
      const note = requested === 'auto' ? `auto chose ${name}${failures.length ? ` (${failures.join('; ')})` : ''}` : name;
      send({ type: 'backend', backend: name, note });
      return name;
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no backend started: ${failures.join('; ')}`);
}

function plotPoints(data: Dataset): PlotPoints {
  const labels = new Int32Array(data.count);
  for (let i = 0; i < data.count; i++) {
    if (data.outputSize === 1) labels[i] = data.y[i] >= 0.5 ? 1 : 0;
    else {
      const row = data.y.subarray(i * data.outputSize, (i + 1) * data.outputSize);
      labels[i] = row.indexOf(Math.max(...row));
    }
  }
  return { x: data.x.slice(0, data.count * 2), labels };
}

async function start(state: PlaygroundState): Promise<void> {
  const mine = ++generation;
  playing = false;
  waitingForPage = false;
  speed = state.speed;
  backendReady ??= startBackend(state.backend);
  await backendReady;
  const old = lockstep;
  lockstep = null;
  await old?.dispose();
  if (mine !== generation) return;
  const next = new Lockstep(setupOf(state));
  lockstep = next;
  const { setup } = next;
  const info: ExperimentInfo = {
    area: setup.area,
    classes: setup.classes,
    outputs: setup.config.spec.layers[setup.config.spec.layers.length - 1],
    hiddenBlocks: setup.config.spec.layers.length - 2,
    columns: next.runs.map((run) => ({ schedule: run.schedule.name, epochs: run.schedule.totalEpochs(run.options.epochs, setup.config.spec.layers.length - 1) })),
    train: plotPoints(setup.start.train),
    test: plotPoints(setup.start.test),
    sharedTest: setup.split?.sharedTest ?? false,
    model: setup.state.model,
  };
  send({ type: 'ready', generation: mine, info });
  sendFrame(next.frame());
}

function sendFrame(frame: Frame): void {
  const buffers = frame.columns.flatMap((c) => [c.network.values.buffer, ...c.blocks.map((b) => b.values.buffer)]);
  waitingForPage = true;
  send({ type: 'frame', generation, frame, playing, done: lockstep?.done ?? true }, buffers as ArrayBuffer[]);
}

/** Trains one frame's epochs and sends the frame, unless the page is still drawing the last one. */
async function pump(): Promise<void> {
  if (busy || waitingForPage || !lockstep) return;
  busy = true;
  try {
    const current = lockstep;
    if (current.done) playing = false;
    else {
      await current.advance(speed);
      if (current !== lockstep) return;
      if (current.done) playing = false;
      sendFrame(current.frame());
    }
  } finally {
    busy = false;
  }
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'start':
      await start(message.state);
      return;
    case 'play':
      playing = true;
      await pump();
      return;
    case 'pause':
      playing = false;
      return;
    case 'step':
      playing = false;
      waitingForPage = false;
      await pump();
      return;
    case 'speed':
      speed = message.speed;
      return;
    case 'drawn':
      waitingForPage = false;
      if (playing) await pump();
      return;
    case 'download': {
      if (!lockstep) return;
      const bytes = runArchive(lockstep, tf.getBackend());
      send({ type: 'archive', bytes }, [bytes.buffer]);
      return;
    }
  }
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  handle(event.data).catch((e: Error) => {
    playing = false;
    send({ type: 'error', message: e.message });
  });
};
