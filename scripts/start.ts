/**
 * `npm start`: the inference server on embedded defaults. Without MODEL_DIR it trains the
 * default bundle on first start (about a minute, cached afterwards) and serves it; the server
 * itself never loads the trainer.
 */
import { createLogger } from '../lib/logger.js';
import { ensureDefaultBundle } from '../pipelines/src/train/default-bundle.js';
import { loadConfig } from '../inference-server/src/config.js';

const logger = createLogger('inference-server');

if (!process.env.MODEL_DIR) {
  try {
    process.env.MODEL_DIR = await ensureDefaultBundle(loadConfig().cacheDir, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'could not prepare the default model');
    process.exit(1);
  }
}
await import('../inference-server/src/main.js');
