import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The installation's Ed25519 key: what it signs (access-log checkpoints, disclosure reports)
 * can be checked outside Redis by anyone holding the public key, and cannot be made again by
 * someone who can only write to Redis. One key per installation, kept under the data directory
 * (created on first start) or given as WHOHAD_SIGNING_KEY (a PKCS#8 PEM, or the path of one).
 */
export interface SigningKey {
  /** SHA-256 (hex) of the public key's SPKI DER: names the key in what it signed. */
  keyId: string;
  /** The public key as SPKI PEM, for a verifier that has nothing else. */
  publicKeyPem: string;
  sign(data: string): string;
}

export const SIGNING_KEY_FILE = 'signing-key.pem';

export class SigningKeyError extends Error {}

export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

function fromPrivate(privateKey: KeyObject, where: string): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`${where}: is a ${privateKey.asymmetricKeyType} key, not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (data) => sign(null, Buffer.from(data, 'utf8'), privateKey).toString('base64'),
  };
}

function parsePem(pem: string, where: string): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new SigningKeyError(`${where}: not a private key in PEM (${(err as Error).message})`);
  }
  return fromPrivate(key, where);
}

function readKeyFile(path: string, where: string): SigningKey | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SigningKeyError(`${where}: cannot read ${path} (${(err as Error).message})`);
  }
  return parsePem(text, where);
}

export interface KeySettings {
  dataDir: string;
  /** WHOHAD_SIGNING_KEY: the PEM itself or the path of a PEM file. */
  signingKey: string | null;
}

/** The installation's key, or null when none was configured or created yet. */
export function loadSigningKey(s: KeySettings): SigningKey | null {
  if (s.signingKey) {
    if (s.signingKey.trimStart().startsWith('-----BEGIN')) return parsePem(s.signingKey, 'WHOHAD_SIGNING_KEY');
    const key = readKeyFile(s.signingKey, 'WHOHAD_SIGNING_KEY');
    if (!key) throw new SigningKeyError(`WHOHAD_SIGNING_KEY: no file ${s.signingKey}`);
    return key;
  }
  return readKeyFile(join(s.dataDir, SIGNING_KEY_FILE), 'signing key');
}

/**
 * The installation's key, made on first use. The file is created exclusively (two processes
 * starting at once end up with the one that was written first) and readable by its owner only.
 */
export function loadOrCreateSigningKey(s: KeySettings): SigningKey {
  const existing = loadSigningKey(s);
  if (existing) return existing;
  const path = join(s.dataDir, SIGNING_KEY_FILE);
  mkdirSync(s.dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new SigningKeyError(`signing key: cannot write ${path} (${(err as Error).message})`);
  }
  return readKeyFile(path, 'signing key')!;
}

/** Whether `signature` (base64) is the Ed25519 signature of `data` by the key of `publicKeyPem`. */
export function verifySignature(publicKeyPem: string, data: string, signature: string): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, Buffer.from(data, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
