export { readAccParams, type AccParams } from './params';
export { AccRuntime } from './runtime';
export { AccError } from './errors';
export { initAccSchema } from './schema';
export { registerAcc } from './script';
export { accLogLine, ACC_TEXT, type AccRecord } from './record';
