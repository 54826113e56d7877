/**
 * The high-level API: train on plain arrays with {@link fit}, then predict,
 * save and load with {@link Model}.
 */
export { fit, type FitOptions } from './fit.js';
export { Model } from './model.js';
export type { Examples, LabelledExamples } from './arrays.js';
