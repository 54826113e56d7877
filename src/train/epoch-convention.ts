import type { EpochEvent } from './events.js';
import type { TrainedEpoch } from './resume.js';

/**
 * Which network an epoch event's scores describe, as files record it.
 * Version 2 (this localprop's): event 0 scores the untrained network and
 * event k the network after k epochs, as Keras and Lightning report them.
 * Version 1 (files written before 2026-12-08) followed Mertens' notebook:
 * event k scored the network before epoch k's updates (after k − 1 epochs),
 * beside epoch k's block losses, and only the final scores described the
 * trained network. Version-1 files are converted when read, never rewritten.
 */
export const EPOCH_CONVENTION = 2;

/** What an epoch event measures of its network (the rest of it is the epoch's training). */
const SCORE_KEYS = ['trainLoss', 'testLoss', 'testAccuracy', 'blockAccuracy', 'evaluatedAt'] as const;

/** An epoch as a version-1 file held it: any part of an event, its epoch and accuracy at least. */
export type StoredEpoch = Pick<EpochEvent, 'epoch' | 'testAccuracy'> & Partial<EpochEvent>;

/** The final model's scores, which a version-1 history kept apart from its events. */
export interface FinalScores {
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
}

/** `event` with its scores (and `evaluatedAt`) taken from `scoredBy`, whose scores belong to the network `event` describes. */
function withScores<E extends StoredEpoch>(event: E, scoredBy: StoredEpoch | FinalScores): E {
  const out: Record<string, unknown> = { ...event };
  for (const key of SCORE_KEYS) delete out[key];
  for (const key of SCORE_KEYS) {
    const value = (scoredBy as Record<string, unknown>)[key];
    // A version-1 `evaluatedAt` named the epoch whose pre-update scores these were: the network after one epoch fewer.
    if (value !== undefined) out[key] = key === 'evaluatedAt' ? (value as number) - 1 : value;
  }
  return out as E;
}

/**
 * Version-1 events (scores before each epoch) as version-2 events 0 to n:
 * event k's scores are version-1 event k + 1's, its training (block losses,
 * gates, seconds) version-1 event k's; event 0 has no training, and event n
 * the final scores when given (its blocks' probe accuracies were never
 * measured, so it has none). Without `final` (a checkpoint), events 0 to
 * n − 1 come back and `unscored` holds what epoch n trained.
 */
export function eventsFromVersion1<E extends StoredEpoch>(old: E[], final?: FinalScores): { events: E[]; unscored?: TrainedEpoch } {
  if (old.length === 0) return { events: [] };
  const first = old[0];
  const untrained = withScores({ ...first, epoch: 0, block: null, seconds: 0, ...(first.blockLosses ? { blockLosses: first.blockLosses.map(() => null) } : {}) } as E, first);
  delete (untrained as Partial<EpochEvent>).gates;
  const events: E[] = [untrained];
  for (let k = 1; k < old.length; k++) events.push(withScores({ ...old[k - 1], epoch: k }, old[k]));
  const last = old[old.length - 1];
  if (final) {
    const scored = withScores({ ...last, epoch: old.length }, final);
    delete (scored as Partial<EpochEvent>).blockAccuracy;
    events.push(scored);
    return { events };
  }
  return { events, unscored: { block: last.block ?? null, blockLosses: last.blockLosses ?? [], ...(last.gates ? { gates: last.gates } : {}) } };
}
