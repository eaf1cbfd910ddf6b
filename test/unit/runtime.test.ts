import { readFileSync } from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};

describe('runtime', () => {
  it('is the Node pinned as a dev dependency, not the system one', () => {
    // npm scripts put node_modules/.bin first on PATH; jest and its workers
    // (and the processes tests start with process.execPath) run that Node.
    expect(process.version).toBe(`v${pkg.devDependencies['node']}`);
  });
});
