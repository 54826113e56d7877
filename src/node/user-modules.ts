import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalpropError, check } from '../util/errors.js';

/** The user modules this process has loaded, as file URLs, so worker threads load them too. */
const loaded: string[] = [];

/**
 * Loads the user's own modules (`--import FILE`), each of which registers
 * rules, schedules or datasets through the public API when it is
 * evaluated. Loaded once per process, in the order given, before any
 * option naming what they register is checked.
 */
export async function importUserModules(paths: string[]): Promise<void> {
  for (const path of paths) {
    const absolute = resolve(path);
    check(existsSync(absolute), `--import ${path}: no such file; give the path of a JavaScript module (.js or .mjs) that registers your rule, schedule or dataset`);
    const url = pathToFileURL(absolute).href;
    if (loaded.includes(url)) continue;
    await importUrl(url, `--import ${path}`);
    loaded.push(url);
  }
}

/** The user modules loaded so far (file URLs), for a worker thread's setup. */
export function userModules(): string[] {
  return [...loaded];
}

/** In a worker thread: loads the modules the run's own thread loaded. */
export async function importUserModuleUrls(urls: string[]): Promise<void> {
  for (const url of urls) {
    if (loaded.includes(url)) continue;
    await importUrl(url, `user module ${url}`);
    loaded.push(url);
  }
}

async function importUrl(url: string, label: string): Promise<void> {
  try {
    await import(url);
  } catch (e) {
    if (e instanceof LocalpropError) throw new LocalpropError(`${label}: ${e.message}`);
    throw new LocalpropError(`${label} failed to load: ${(e as Error).message}`);
  }
}
