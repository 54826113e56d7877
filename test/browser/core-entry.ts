/**
 * Bundled for the browser by core.browser.test.ts: trains a few epochs of
 * each seed schedule with the library's public API and hands the events to
 * the page, so the test can compare them with the same runs in Node.
 */
import { experimentRuns, parseModelSpec, renderReport, ReportRecorder, Run, MERTENS_MODEL, seededStart, useBackend, type EpochEvent } from '../../src/index.js';
import { shortReport, shortRuns } from './short-runs.js';

declare global {
  interface Window {
    localpropRuns: (backend: string) => Promise<EpochEvent[][]>;
    localpropReport: (backend: string) => ReturnType<typeof shortReport>;
  }
}

window.localpropRuns = async (backend: string) => {
  await useBackend(backend, { wasmPaths: '/wasm/' });
  return shortRuns({ parseModelSpec, Run, MERTENS_MODEL, seededStart });
};

window.localpropReport = async (backend: string) => {
  await useBackend(backend, { wasmPaths: '/wasm/' });
  return shortReport({ parseModelSpec, experimentRuns, ReportRecorder, renderReport });
};
