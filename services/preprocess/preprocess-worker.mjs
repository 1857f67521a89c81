// Worker-thread entry of the preprocessing pool (plain JS: it must register the TypeScript loader
// itself, since workers do not inherit the main thread's). Patient tags stay in this thread.
import { register } from 'tsx/esm/api';

register();
const { runPreprocessTask } = await import('./preprocess-task.ts');

export default runPreprocessTask;
