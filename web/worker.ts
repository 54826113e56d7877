/// <reference lib="webworker" />
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import '@tensorflow/tfjs-backend-wasm';
import { useBackend } from '../src/engine/backend.js';
import { Lockstep, type Frame } from '../src/playground/lockstep.js';
import { setupOf } from '../src/playground/setup.js';
import type { PlaygroundState } from '../src/playground/state.js';
import { classLabels, type Dataset } from '../src/data/dataset.js';
import { hiddenBlocks } from '../src/model/shapes.js';
import type { ExperimentInfo, FromWorker, PlotPoints, StepTiming, ToWorker } from './protocol.js';

/*
 * Trains some of the page's columns off its thread. It does only what the
 * page asks: build, advance, report; the page keeps every worker in step.
 */

const scope = self as unknown as DedicatedWorkerGlobalScope;
const WASM_FILES = { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded };

/** `auto` tries these in order: for networks this small wasm beats a GPU, whose every kernel launch costs more than the math. */
const AUTO_ORDER = ['wasm', 'webgl', 'cpu'];

let backendReady: Promise<string> | null = null;
let lockstep: Lockstep | null = null;
let generation = 0;

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
  throw new Error(`no backend started: ${failures.join('; ')}; pick another under Run → Backend`);
}

function plotPoints(data: Dataset): PlotPoints {
  return { x: data.x.slice(0, data.count * 2), labels: classLabels(data) };
}

async function start(state: PlaygroundState, schedules: string[]): Promise<void> {
  backendReady ??= startBackend(state.backend);
  await backendReady;
  const old = lockstep;
  lockstep = null;
  await old?.dispose();
  const next = new Lockstep(setupOf({ ...state, schedules }));
  lockstep = next;
  const { setup } = next;
  const info: ExperimentInfo = {
    area: setup.area,
    classes: setup.classes,
    hiddenBlocks: hiddenBlocks(setup.config.spec).length,
    columns: next.runs.map((run) => ({ schedule: run.schedule.name, rule: run.rule.name })),
    train: plotPoints(setup.start.train),
    test: plotPoints(setup.start.test),
    sharedTest: setup.split?.sharedTest ?? false,
  };
  send({ type: 'ready', generation, info });
  const started = performance.now();
  const frame = next.frame();
  sendFrame(frame, { trainMs: 0, picturesMs: performance.now() - started });
}

function sendFrame(frame: Frame, timing: StepTiming): void {
  const buffers = frame.columns.flatMap((c) => [c.network.values.buffer, ...c.blocks.map((b) => b.values.buffer)]);
  send({ type: 'frame', generation, frame, done: lockstep?.done ?? true, timing }, buffers as ArrayBuffer[]);
}

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'start') {
    generation = message.generation;
    await start(message.state, message.schedules);
    return;
  }
  // A message for an experiment this worker has already left behind.
  if (message.generation !== generation || !lockstep) return;
  if (message.type === 'advance') {
    const started = performance.now();
    await lockstep.advance(message.epochs);
    const trained = performance.now();
    const frame = lockstep.frame(true);
    sendFrame(frame, { trainMs: trained - started, picturesMs: performance.now() - trained });
  } else send({ type: 'records', generation, records: lockstep.records() });
}

// One message at a time, in order: a 'start' must not overtake the 'advance' before it.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event: MessageEvent<ToWorker>) => {
  queue = queue.then(() =>
    handle(event.data).catch((e: Error) => {
      send({ type: 'error', generation: event.data.generation, message: e.message });
    }),
  );
};
