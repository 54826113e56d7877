import type { ParameterMap, PlainTensor } from '../model/parameters.js';
import type { VariableState } from '../optim/optimizer.js';
import type { RunCheckpoint } from '../train/resume.js';
import { LocalpropError, check } from '../util/errors.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { eventsFromVersion1 } from '../train/epoch-convention.js';
import { crc32 } from '../util/crc32.js';
import type { Evaluation } from '../train/evaluation.js';

const FORMAT = 'localprop-run-checkpoint';
/** Version 2: events after their epochs (see EPOCH_CONVENTION); version 1 is converted when read. */
const VERSION = '2';

/**
 * A {@link RunCheckpoint} as one safetensors file, so one atomic write
 * keeps every part of it consistent. Tensors (F32):
 * `parameters.blocks.{i}.weight` etc. (PyTorch layout, as `--save` writes
 * them), `optimizer.{k}.{name}` (the state of the k-th variable of
 * `Network.variables`, in the network's [in, out] layout),
 * `session.trainLoss` (when cached) and `schedule.{name}` (local-gated's
 * trackers). `__metadata__` holds `format`, `version` and `state`: the rest
 * as JSON (identity, options, epoch, seconds, each variable's step count,
 * the random streams' states and the epoch events so far).
 */
export function encodeRunCheckpoint(checkpoint: RunCheckpoint, engine?: Record<string, unknown>): Uint8Array {
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(checkpoint.parameters)) tensors[`parameters.${name}`] = t;
  checkpoint.optimizer.forEach((state, k) => {
    for (const [name, t] of Object.entries(state?.tensors ?? {})) tensors[`optimizer.${k}.${name}`] = t;
  });
  if (checkpoint.session.trainLoss) tensors['session.trainLoss'] = checkpoint.session.trainLoss;
  for (const [name, t] of Object.entries(checkpoint.scheduleState)) tensors[`schedule.${name}`] = t;
  const state = {
    schedule: checkpoint.schedule,
    seed: checkpoint.seed,
    decoders: checkpoint.decoders,
    ...(checkpoint.rule ? { rule: checkpoint.rule } : {}),
    options: checkpoint.options,
    epoch: checkpoint.epoch,
    epochs: checkpoint.epochs,
    seconds: checkpoint.seconds,
    optimizerSteps: checkpoint.optimizer.map((s) => (s ? s.step : null)),
    rng: { shuffle: checkpoint.session.shuffle, dropout: checkpoint.session.dropout, ...(checkpoint.session.rule ? { rule: checkpoint.session.rule } : {}), ...(checkpoint.session.augment ? { augment: checkpoint.session.augment } : {}) },
    history: checkpoint.history,
    ...(checkpoint.partial ? { partial: checkpoint.partial } : {}),
  };
  // `engine`: the backend (and BLAS) that computed it, for the reader; resuming checks it against config.json.
  const json = JSON.stringify(state);
  return encodeSafetensors(tensors, { format: FORMAT, version: VERSION, state: json, checksum: checksumOf(tensors, json), ...(engine ? { engine: JSON.stringify(engine) } : {}) });
}

/**
 * The CRC-32 of the state and of every tensor's bytes, by name: a file whose
 * bytes changed after it was written (a disk that lied, a copy cut short
 * inside a tensor) reads as damaged instead of resuming from wrong numbers.
 */
function checksumOf(tensors: Record<string, NamedTensor>, state: string): string {
  const names = Object.keys(tensors).sort();
  const bytes = (t: NamedTensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return crc32([new TextEncoder().encode(state), ...names.flatMap((n) => [new TextEncoder().encode(n), bytes(tensors[n])])]);
}

/** Reads {@link encodeRunCheckpoint}'s file; `source` names it in errors. */
export function decodeRunCheckpoint(bytes: Uint8Array, source: string): RunCheckpoint {
  let file: ReturnType<typeof decodeSafetensors>;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof LocalpropError) throw new LocalpropError(`${source}: ${e.message}`);
    throw e;
  }
  const { tensors, metadata } = file;
  check(metadata.format === FORMAT, `${source} is not a localprop run checkpoint (it records format ${JSON.stringify(metadata.format ?? null)}); --resume reads the checkpoint --checkpoint-every writes`);
  check(metadata.version === VERSION || metadata.version === '1', `${source} is a run checkpoint of version ${metadata.version}, but this localprop reads versions 1 and ${VERSION}; finish the run with the localprop that started it`);
  // Files from before checksums have none: they are read as they are.
  check(metadata.checksum === undefined || metadata.checksum === checksumOf(tensors, metadata.state ?? ''), `${source}: its checksum does not match its contents; the file is damaged, so resume from an earlier copy or start again`);
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(metadata.state ?? '') as Record<string, unknown>;
  } catch (e) {
    throw new LocalpropError(`${source}: its state is not valid JSON (${(e as Error).message}); the file is damaged, so resume from an earlier copy or start again`);
  }
  const steps = state.optimizerSteps;
  check(Array.isArray(steps) && Array.isArray(state.history) && typeof state.rng === 'object' && state.rng !== null, `${source}: its state lacks optimizerSteps, rng or history; the file is damaged`);

  const parameters: ParameterMap = {};
  const optimizerTensors: Record<string, PlainTensor>[] = steps.map(() => ({}));
  const scheduleState: Record<string, PlainTensor> = {};
  let trainLoss: PlainTensor | null = null;
  for (const [name, t] of Object.entries(tensors)) {
    const [part, ...rest] = name.split('.');
    const tail = rest.join('.');
    if (part === 'parameters') parameters[tail] = t;
    else if (part === 'schedule') scheduleState[tail] = t;
    else if (name === 'session.trainLoss') trainLoss = t;
    else if (part === 'optimizer' && optimizerTensors[Number(rest[0])] !== undefined) optimizerTensors[Number(rest[0])][rest.slice(1).join('.')] = t;
    else throw new LocalpropError(`${source}: unexpected tensor "${name}"; the file is damaged or not a run checkpoint`);
  }
  const optimizer: (VariableState | null)[] = (steps as (number | null)[]).map((step, k) => {
    if (step === null) return null;
    check(Object.keys(optimizerTensors[k]).length > 0, `${source}: variable ${k} has an optimizer step count but no state tensors; the file is damaged`);
    return { step, tensors: optimizerTensors[k] };
  });
  const partial = state.partial ? partialOf(state.partial, source) : undefined;
  const rng = state.rng as { shuffle: RunCheckpoint['session']['shuffle']; dropout: RunCheckpoint['session']['dropout']; rule?: RunCheckpoint['session']['rule']; augment?: RunCheckpoint['session']['augment'] };
  const checkpoint: RunCheckpoint = {
    schedule: state.schedule as string,
    seed: state.seed as number,
    decoders: state.decoders as RunCheckpoint['decoders'],
    ...(typeof state.rule === 'string' ? { rule: state.rule } : {}),
    options: state.options as RunCheckpoint['options'],
    epoch: state.epoch as number,
    epochs: state.epochs as number,
    seconds: state.seconds as number,
    parameters,
    optimizer,
    session: { shuffle: rng.shuffle, dropout: rng.dropout ?? null, ...(rng.rule ? { rule: rng.rule } : {}), ...(rng.augment ? { augment: rng.augment } : {}), trainLoss },
    scheduleState,
    history: state.history as RunCheckpoint['history'],
    ...(partial ? { partial: { chunks: partial.chunks, losses: partial.losses, milliseconds: partial.milliseconds } } : {}),
  };
  return metadata.version === '1' ? fromVersion1(checkpoint, partial as Version1Partial | undefined, source) : checkpoint;
}

/** What a version-1 checkpoint kept of an epoch stopped inside: also the scores measured before it, and the stream before its draw. */
interface Version1Partial {
  shuffle: RunCheckpoint['session']['shuffle'];
  trainLoss: number | null;
  test: Evaluation;
}

/**
 * A version-1 checkpoint (events before their epochs) in version 2's terms:
 * its events shifted by one. The scores of the network it stopped at are in
 * it only when it stopped inside the next epoch (measured before that
 * epoch's first step); otherwise the resumed run scores it.
 */
function fromVersion1(checkpoint: RunCheckpoint, partial: Version1Partial | undefined, source: string): RunCheckpoint {
  const { events, unscored } = eventsFromVersion1(checkpoint.history);
  if (!partial) return { ...checkpoint, history: events, ...(unscored ? { unscored } : {}) };
  check(partial.test !== undefined && partial.shuffle !== undefined && typeof partial.trainLoss === 'number', `${source}: its mid-epoch state lacks the scores measured before the epoch; the file is damaged, so resume from an earlier copy or start again`);
  const last = checkpoint.history[checkpoint.history.length - 1];
  const scored = {
    ...(last ?? { type: 'epoch' as const, schedule: checkpoint.schedule, seed: checkpoint.seed, decoders: checkpoint.decoders, epochs: checkpoint.epochs, seconds: 0 }),
    // Stopped inside epoch 1: this is event 0, whose blocks trained nothing yet.
    ...(unscored ?? { block: null, blockLosses: partial.test.blockAccuracy.map(() => null) }),
    epoch: checkpoint.epoch,
    trainLoss: partial.trainLoss,
    testLoss: partial.test.loss,
    testAccuracy: partial.test.accuracy,
    blockAccuracy: partial.test.blockAccuracy,
  };
  // Version 1 kept the stream after the stopped epoch's draw; version 2 keeps it before, and draws again.
  return { ...checkpoint, history: [...events, scored], session: { ...checkpoint.session, shuffle: partial.shuffle } };
}

/** A mid-epoch record as the file holds it, checked enough that a damaged one is named rather than misread. */
function partialOf(value: unknown, source: string): NonNullable<RunCheckpoint['partial']> {
  const p = value as NonNullable<RunCheckpoint['partial']>;
  const ok = typeof p === 'object' && p !== null && Number.isInteger(p.chunks) && Array.isArray(p.losses) && p.losses.every((l) => Array.isArray(l) && l.every((v) => typeof v === 'number'))
    && typeof p.milliseconds === 'number';
  check(ok, `${source}: its mid-epoch state is incomplete; the file is damaged, so resume from an earlier copy or start again`);
  return p;
}
