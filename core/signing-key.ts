import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The installation's Ed25519 key. What it signs (disclosure reports, access-log checkpoints) can
 * be checked by anyone holding the public key, far from Redis, and cannot be made again by
 * someone who can only write to Redis. The private key lives under the data directory (made on
 * first start) or is given as WHOHAD_SIGNING_KEY (a PKCS#8 PEM, or the path of one). Every
 * public key the installation ever signed with stays in a key ring beside it, so a report signed
 * before a rotation still verifies after it.
 */
export interface SigningKey {
  /** SHA-256 (hex) of the public key's SPKI DER: names the key in what it signed. */
  id: string;
  /** The public key as SPKI PEM, for a verifier that has nothing else. */
  publicKeyPem: string;
  sign(bytes: Uint8Array): Buffer;
}

export interface PublicKeyEntry {
  id: string;
  publicKeyPem: string;
  createdAt: string;
  /** When the installation stopped signing with it; it still verifies what it signed. */
  retired?: string;
}

export const SIGNING_KEY_FILE = 'signing-key.pem';
export const KEY_RING_FILE = 'signing-keys.json';

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

function fromPrivate(privateKey: KeyObject, where: string): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`${where}: is a ${privateKey.asymmetricKeyType} key, not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return {
    id: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (bytes) => sign(null, bytes, privateKey),
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

const privatePem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

/** The key ring: every public key this installation signed with, oldest first. */
export function publicKeys(dataDir: string): PublicKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(join(dataDir, KEY_RING_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new SigningKeyError(`key ring: cannot read ${join(dataDir, KEY_RING_FILE)} (${(err as Error).message})`);
  }
  try {
    const ring = JSON.parse(text) as { keys: PublicKeyEntry[] };
    return ring.keys;
  } catch (err) {
    throw new SigningKeyError(`key ring ${join(dataDir, KEY_RING_FILE)}: not readable JSON (${(err as Error).message})`);
  }
}

function writeRing(dataDir: string, keys: PublicKeyEntry[]): void {
  const path = join(dataDir, KEY_RING_FILE);
  // written aside and renamed, so a reader never sees half a ring
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
}

/** Puts `key` in the ring as the one in use; a different key in use until now is retired, never removed. */
function remember(dataDir: string, key: SigningKey, now: Date): void {
  const keys = publicKeys(dataDir);
  const current = keys.find((k) => k.id === key.id);
  if (current && !current.retired) return;
  const at = now.toISOString();
  for (const k of keys) if (!k.retired && k.id !== key.id) k.retired = at;
  if (current) delete current.retired;
  else keys.push({ id: key.id, publicKeyPem: key.publicKeyPem, createdAt: at });
  writeRing(dataDir, keys);
}

/** Where the key is: the data directory, and WHOHAD_SIGNING_KEY as config.ts read it (a PEM or its path). */
export interface KeySettings {
  dataDir: string;
  signingKey: string | null;
}

/**
 * The installation's key as it stands, or null when none was given or made yet: for checks
 * that compare with it (`audit verify --checkpoint`) and must not create one as a side effect.
 */
export function existingSigningKey({ dataDir, signingKey }: KeySettings): SigningKey | null {
  const given = signingKey?.trim();
  if (given) return given.startsWith('-----BEGIN') ? parsePem(given, 'WHOHAD_SIGNING_KEY') : (readKeyFile(given, 'WHOHAD_SIGNING_KEY') ?? missing(given));
  return readKeyFile(join(dataDir, SIGNING_KEY_FILE), 'signing key');
}

/**
 * The installation's key: WHOHAD_SIGNING_KEY when set, else the data directory's, made on first
 * use (created exclusively, so processes starting at once end with the one written first, and
 * readable by its owner only). Either way its public key joins the ring.
 */
export function loadSigningKey({ dataDir, signingKey }: KeySettings, now: () => Date = () => new Date()): SigningKey {
  const given = signingKey?.trim();
  let key: SigningKey;
  if (given) {
    key = given.startsWith('-----BEGIN') ? parsePem(given, 'WHOHAD_SIGNING_KEY') : (readKeyFile(given, 'WHOHAD_SIGNING_KEY') ?? missing(given));
  } else {
    const path = join(dataDir, SIGNING_KEY_FILE);
    mkdirSync(dataDir, { recursive: true });
    const existing = readKeyFile(path, 'signing key');
    if (existing) key = existing;
    else {
      try {
        writeFileSync(path, privatePem(generateKeyPairSync('ed25519').privateKey), { flag: 'wx', mode: 0o600 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new SigningKeyError(`signing key: cannot write ${path} (${(err as Error).message})`);
      }
      key = readKeyFile(path, 'signing key')!;
    }
  }
  mkdirSync(dataDir, { recursive: true });
  remember(dataDir, key, now());
  return key;
}

function missing(path: string): never {
  throw new SigningKeyError(`WHOHAD_SIGNING_KEY: no file ${path}`);
}

/**
 * Replaces the data directory's key with a new one. The old private key is overwritten (nothing
 * can sign with it again); its public key stays in the ring, retired, so what it signed still
 * verifies. Not for an installation whose key comes from WHOHAD_SIGNING_KEY: there, give a new
 * key and restart.
 */
export function rotateSigningKey(dataDir: string, now: () => Date = () => new Date()): SigningKey {
  const path = join(dataDir, SIGNING_KEY_FILE);
  mkdirSync(dataDir, { recursive: true });
  const old = readKeyFile(path, 'signing key');
  if (old) remember(dataDir, old, now());
  const tmp = `${path}.${process.pid}.new`;
  writeFileSync(tmp, privatePem(generateKeyPairSync('ed25519').privateKey), { mode: 0o600 });
  renameSync(tmp, path);
  const key = readKeyFile(path, 'signing key')!;
  remember(dataDir, key, now());
  return key;
}

/** Whether `signature` is the Ed25519 signature of `bytes` by the key of `publicKeyPem`. */
export function verifyWith(publicKeyPem: string, bytes: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, bytes, key, signature);
  } catch {
    return false;
  }
}
