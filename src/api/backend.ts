import { DEFAULT_BACKEND, tf, useBackend } from '../engine/backend.js';

/**
 * Starts `name`, or when none is named keeps the backend already chosen
 * (by {@link useBackend} or TF.js) and starts the default only if there is none.
 */
export async function readyBackend(name?: string): Promise<void> {
  if (name !== undefined) {
    await useBackend(name);
    return;
  }
  // Reading tf.getBackend() would start TF.js's own choice; backendName is null until a backend is set.
  const current = (tf.engine() as unknown as { backendName: string | null }).backendName;
  if (current) return;
  await useBackend(DEFAULT_BACKEND);
}
