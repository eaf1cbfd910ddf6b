/**
 * Re-encrypts every stored provider key under the newest master key (the
 * first of MASTER_KEYS). Safe to interrupt and to run again.
 *   MASTER_KEYS=<new>,<old>… npm run keys:reencrypt
 */
import { loadKeyRing } from '../modules/api-keys/key-ring';
import { reencryptAll } from '../modules/api-keys/reencrypt';
import { runCommand } from './run';

runCommand(
  'MASTER_KEYS=<newest>,<older>… npm run keys:reencrypt',
  async ({ config, database, logger }) => {
    const keyRing = await loadKeyRing(config);
    const report = await reencryptAll(database.orm.em.fork(), keyRing, logger);
    process.stdout.write(
      `Re-encrypted ${report.reencrypted} key(s) under "${keyRing.currentVersion}".\n`,
    );
    if (report.unreadable.length > 0) {
      process.stdout.write(
        `${report.unreadable.length} key(s) could not be decrypted and were left as they are: ${report.unreadable.join(', ')}\n`,
      );
      return 1;
    }
    return 0;
  },
);
