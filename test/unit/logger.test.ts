import { createLogger } from '../../src/infra/logger';

describe('createLogger', () => {
  it('redacts secret fields at any of the first three levels', () => {
    const lines: string[] = [];
    const logger = createLogger(
      { logLevel: 'info' },
      { write: (line: string) => void lines.push(line) },
    );
    logger.info(
      {
        password: 'top-secret-1',
        input: { newPassword: 'top-secret-2', nested: { token: 'top-secret-3' } },
        req: { headers: { authorization: 'Bearer top-secret-4' } },
        variables: { anything: 'top-secret-5' },
        keyId: 'key_visible',
      },
      'something happened',
    );
    const [line] = lines;
    expect(line).not.toMatch(/top-secret/);
    expect(JSON.parse(line!)).toMatchObject({
      password: '[redacted]',
      keyId: 'key_visible',
      msg: 'something happened',
    });
  });
});
