// How option values become an experiment lives with the option table (the playground reads it too); this path stays for callers that import it from here.
export { experimentOf, ruleOptionsOf, type ExperimentParts } from '../options/experiment.js';
