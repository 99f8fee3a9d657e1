import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_RING_FILE, keyIdOf, loadSigningKey, publicKeys, rotateSigningKey, SIGNING_KEY_FILE, verifyWith } from '../../core/signing-key.js';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'whohad-key-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const bytes = Buffer.from('{"a":1}');
const at = (iso: string) => () => new Date(iso);

describe('the installation key', () => {
  it('is made on first start under the data directory, owner-readable only, and the same key after', () => {
    const dir = scratch();
    const k = loadSigningKey({ dataDir: dir, signingKey: null }, at('2026-11-01T00:00:00Z'));
    expect(statSync(join(dir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(k.id).toBe(keyIdOf(k.publicKeyPem));
    expect(k.id).toMatch(/^[0-9a-f]{64}$/);
    expect(loadSigningKey({ dataDir: dir, signingKey: null }).id).toBe(k.id);
    expect(publicKeys(dir)).toEqual([{ id: k.id, publicKeyPem: k.publicKeyPem, createdAt: '2026-11-01T00:00:00.000Z' }]);
    expect(verifyWith(k.publicKeyPem, bytes, k.sign(bytes))).toBe(true);
    expect(verifyWith(k.publicKeyPem, Buffer.from('{"a":2}'), k.sign(bytes))).toBe(false);
  });

  it('is taken from WHOHAD_SIGNING_KEY, as PEM or as a path, and joins the ring', () => {
    const dir = scratch();
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const k = loadSigningKey({ dataDir: dir, signingKey: pem });
    expect(existsSync(join(dir, SIGNING_KEY_FILE))).toBe(false);
    const file = join(dir, 'given.pem');
    writeFileSync(file, pem);
    expect(loadSigningKey({ dataDir: dir, signingKey: file }).id).toBe(k.id);
    expect(publicKeys(dir).map((e) => e.id)).toEqual([k.id]);
  });

  it('refuses a WHOHAD_SIGNING_KEY that is missing, not a key, or not Ed25519, naming it', () => {
    const dir = scratch();
    expect(() => loadSigningKey({ dataDir: dir, signingKey: join(dir, 'nope.pem') })).toThrow(/^WHOHAD_SIGNING_KEY: no file /);
    expect(() => loadSigningKey({ dataDir: dir, signingKey: '-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----' })).toThrow(/^WHOHAD_SIGNING_KEY: not a private key in PEM/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadSigningKey({ dataDir: dir, signingKey: rsa })).toThrow('WHOHAD_SIGNING_KEY: is a rsa key, not Ed25519');
  });

  it('rotation keeps the old public key, retired, so what it signed still verifies; the old private key is gone', () => {
    const dir = scratch();
    const old = loadSigningKey({ dataDir: dir, signingKey: null }, at('2026-11-01T00:00:00Z'));
    const sig = old.sign(bytes);
    const oldPrivate = readFileSync(join(dir, SIGNING_KEY_FILE), 'utf8');
    const next = rotateSigningKey(dir, at('2026-12-01T00:00:00Z'));
    expect(next.id).not.toBe(old.id);
    expect(readFileSync(join(dir, SIGNING_KEY_FILE), 'utf8')).not.toBe(oldPrivate);
    expect(loadSigningKey({ dataDir: dir, signingKey: null }).id).toBe(next.id);
    const ring = publicKeys(dir);
    expect(ring).toEqual([
      { id: old.id, publicKeyPem: old.publicKeyPem, createdAt: '2026-11-01T00:00:00.000Z', retired: '2026-12-01T00:00:00.000Z' },
      { id: next.id, publicKeyPem: next.publicKeyPem, createdAt: '2026-12-01T00:00:00.000Z' },
    ]);
    expect(verifyWith(ring[0].publicKeyPem, bytes, sig)).toBe(true);
  });

  it('a key ring that is not JSON is refused, naming the file', () => {
    const dir = scratch();
    writeFileSync(join(dir, KEY_RING_FILE), '{');
    expect(() => publicKeys(dir)).toThrow(/^key ring .*signing-keys\.json: not readable JSON/);
  });
});
