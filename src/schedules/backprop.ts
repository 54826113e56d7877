import type { Schedule } from './schedule.js';

/** Back-propagation: the whole network learns from the output loss. */
export const backprop: Schedule = {
  name: 'backprop',
  description: 'back-propagation of the output loss through every block (100 epochs)',
  note: 'one gradient from the output through every block',
  explanation:
    'The usual training: one loss at the output, its gradient passed back through every block. Its blocks have no decoders of their own, so only the whole network has a picture.',
  trainsRule: false,
  pipelinable: false,
  defaultEpochs: 100,
  totalEpochs: (epochs) => epochs,
  *plan(session, epochs) {
    const last = session.blockCount - 1;
    for (let e = 0; e < epochs; e++) {
      yield {
        block: null,
        *train() {
          for (const chunk of session.chunks()) {
            session.recordLoss(last, session.stepNetwork(chunk));
            yield;
          }
        },
      };
    }
  },
};
