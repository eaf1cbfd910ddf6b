import { randomBytes } from 'node:crypto';
import { DecryptionError, KeyRing } from '../../src/modules/api-keys/key-ring';
import { maskKey } from '../../src/modules/api-keys/masking';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('KeyRing', () => {
  const older = key('v1');
  const newer = key('v2');
  const ring = new KeyRing([newer, older]);

  it('seals under the newest key with a fresh 12-byte IV and a 16-byte tag', () => {
    const a = ring.seal('sk-secret-value', 'aad');
    const b = ring.seal('sk-secret-value', 'aad');
    expect(a.keyVersion).toBe('v2');
    expect(a.iv).toHaveLength(12);
    expect(a.authTag).toHaveLength(16);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.toString('utf8')).not.toContain('secret');
    expect(ring.open(a, 'aad')).toBe('sk-secret-value');
  });

  it('opens what an older key sealed', () => {
    const sealed = new KeyRing([older]).seal('old secret', 'aad');
    expect(ring.open(sealed, 'aad')).toBe('old secret');
  });

  it.each([
    ['other associated data', (s: ReturnType<KeyRing['seal']>) => ({ sealed: s, aad: 'other' })],
    [
      'a flipped ciphertext bit',
      (s: ReturnType<KeyRing['seal']>) => {
        const ciphertext = Buffer.from(s.ciphertext);
        ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
        return { sealed: { ...s, ciphertext }, aad: 'aad' };
      },
    ],
    [
      'a truncated tag',
      (s: ReturnType<KeyRing['seal']>) => ({
        sealed: { ...s, authTag: s.authTag.subarray(0, 4) },
        aad: 'aad',
      }),
    ],
    [
      'an unknown key version',
      (s: ReturnType<KeyRing['seal']>) => ({ sealed: { ...s, keyVersion: 'v9' }, aad: 'aad' }),
    ],
  ])('refuses %s', (_label, alter) => {
    const { sealed, aad } = alter(ring.seal('secret', 'aad'));
    expect(() => ring.open(sealed, aad)).toThrow(DecryptionError);
  });
});

describe('maskKey', () => {
  it.each([
    ['openai', 'sk-proj-abcdefghijklmnopqrstuvwxyzc123', 'sk-proj-…c123'],
    ['anthropic', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz9876', 'sk-ant-api03-…9876'],
    ['gemini', 'AIzaSyD-abcdefghijklmnopqrstuvwxyz12345', 'AIza…2345'],
    ['openai', 'unprefixed-key-value-0001', '…0001'],
    ['openai', 'sk-short', 'sk-…'],
  ] as const)('masks a %s key', (provider, plaintext, masked) => {
    expect(maskKey(provider, plaintext)).toBe(masked);
  });
});
