// Runs the spinexr CLI in-process for train.sh (`node --import tsx models/training/phantom-sets.ts phantoms ...`),
// so the long phantom generations are not mistaken for cluster processes (`spinexr serve`) by test cleanups.
import { main } from '../../services/cli/main.ts';

await main(['node', 'spinexr', ...process.argv.slice(2)]);
