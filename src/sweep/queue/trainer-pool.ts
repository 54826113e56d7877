import type { ChildProcess } from 'node:child_process';
import { spawnWorker } from '../local-runner.js';
import type { FromWorker, ToWorker } from '../worker-messages.js';

/**
 * Training processes for a queue worker: the local sweep's worker process,
 * one per job being trained, kept between runs. Training happens there,
 * not in the worker's own process, so that process's event loop stays free
 * to renew its jobs' locks (the heartbeats) however long an epoch takes.
 */
export class TrainerPool {
  private readonly idle: ChildProcess[] = [];
  private readonly all = new Set<ChildProcess>();

  /** A ready training process: an idle one, or a new one once it says it is ready. */
  async take(): Promise<ChildProcess> {
    const idle = this.idle.pop();
    if (idle) return idle;
    const child = spawnWorker();
    this.all.add(child);
    child.on('exit', () => {
      this.all.delete(child);
      const i = this.idle.indexOf(child);
      if (i >= 0) this.idle.splice(i, 1);
    });
    // A message to a process that has just died fails here; its 'exit' tells the job.
    child.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type !== 'ready') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => reject(new Error(`a training process exited before it started (${signal ? `signal ${signal}` : `exit code ${code}`}); its error is printed above`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    return child;
  }

  /** Back to the pool after a run, unless it died. */
  release(child: ChildProcess): void {
    if (child.exitCode === null && child.signalCode === null && child.connected) this.idle.push(child);
  }

  /** Asks every training process to stop its run at its next epoch, checkpointed. */
  stopAll(): void {
    for (const child of this.all) if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
  }

  /** Lets every process finish and waits until they are gone. */
  async close(): Promise<void> {
    const exits = [...this.all].map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))));
    for (const child of this.all) if (child.connected) child.send({ type: 'exit' } satisfies ToWorker);
    await Promise.all(exits);
  }
}
