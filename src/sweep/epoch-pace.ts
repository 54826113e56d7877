import { median } from '../studies/parallel-stats.js';

/** Epochs a pace looks back over: enough to steady it, few enough to follow a machine that got busier. */
const RECENT_EPOCHS = 5;

/**
 * How long a run's epochs take lately, in wall seconds: the median of the
 * last few this process trained, so one slow epoch (the first one's
 * warm-up, a checkpoint, a neighbour's burst) does not swing the estimate.
 */
export class EpochPace {
  private last: number | null = null;
  private readonly recent: number[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The run starts (or resumes) training here. */
  start(): void {
    this.last = this.now();
  }

  /** An epoch has just ended. */
  epochEnded(): void {
    const t = this.now();
    if (this.last !== null) {
      this.recent.push((t - this.last) / 1000);
      if (this.recent.length > RECENT_EPOCHS) this.recent.shift();
    }
    this.last = t;
  }

  /** The median of the recent epochs' seconds; undefined before one has ended. */
  seconds(): number | undefined {
    return this.recent.length === 0 ? undefined : (median(this.recent) as number);
  }
}

/** A pace read from a progress file or a queue's board, which another version may have written: a positive finite number, or undefined. */
export function usablePace(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * What a status line adds for a running run that reports its pace: the
 * pace and the time its remaining epochs would take at it ('' without a
 * usable pace, or with no epoch left).
 */
export function paceText(secondsPerEpoch: number | undefined, epoch: number, epochs: number): string {
  if (secondsPerEpoch === undefined || epochs <= epoch) return '';
  return `, ${formatWait(secondsPerEpoch)} an epoch lately: about ${formatWait(secondsPerEpoch * (epochs - epoch))} to go`;
}

/** A wait as a person reads it: "40 s", "90 s", "12 min", "2 h 5 min" (seconds up to 100, where a minute's rounding would be a third off). */
export function formatWait(seconds: number): string {
  if (Math.round(seconds) < 100) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
