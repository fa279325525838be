/**
 * Cluster credentials and the proofs of the authentication handshake (docs/security.md), on
 * WebCrypto's HMAC-SHA256 (RFC 2104), so Node and browsers share it.
 *
 * - The **cluster secret** is 32 random bytes written as 43 base64url characters. It is the admin
 *   credential: it may authenticate as any role and act on every job.
 * - A **derived token** `wrt.ROLE.SUBJECT.MAC` grants one role to one subject: MAC is
 *   base64url(HMAC(secret, "wrt.ROLE.SUBJECT")). The head recomputes it from the secret, so it keeps
 *   no token database; volunteer links are revoked by subject (`wrt token --revoke`).
 * - A **proof** binds a credential to one connection: HMAC(key, "wrt-auth-v1\0ROLE\0" + nonce),
 *   where key is the secret's bytes (admin) or the derived token's MAC bytes, and nonce the head's
 *   32 random bytes of that connection. A proof captured on one connection is worthless on the next.
 *
 * The key derivation is HKDF-less on purpose: HMAC of a distinct label under a uniformly random
 * 256-bit key is itself a PRF output (RFC 2104 §6; the same construction as Kubernetes' bootstrap
 * token signatures and Jupyter's message signing).
 */
import { WrtError } from '../errors.js';
import type { Role } from './messages.js';

/** Roles a derived token may grant. `node` needs the cluster secret itself. */
export const DERIVED_ROLES: readonly Role[] = ['driver', 'volunteer', 'viewer'];

/** Subjects of derived tokens (driver names, volunteer link ids): 1–64 of `[A-Za-z0-9_-]`. */
export const SUBJECT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const PUBLIC_PART = String.raw`wrt\.(driver|volunteer|viewer)\.([A-Za-z0-9_-]{1,64})`;
const PUBLIC_PATTERN = new RegExp(`^${PUBLIC_PART}$`);
const TOKEN_PATTERN = new RegExp(`^${PUBLIC_PART}\\.([A-Za-z0-9_-]{43})$`);

/** The role and subject of a derived token's public part `wrt.ROLE.SUBJECT`, or null when it is not one. */
export function parsePublicPart(text: string): { role: Role; subject: string } | null {
  const m = PUBLIC_PATTERN.exec(text);
  return m ? { role: m[1] as Role, subject: m[2]! } : null;
}

/** A credential as parsed from its text: the secret (admin) or a derived token. */
export type Credential =
  | { kind: 'admin'; key: Uint8Array; text: string }
  | { kind: 'derived'; role: Role; subject: string; key: Uint8Array; text: string; public: string };

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A fresh cluster secret: 32 bytes from the platform's CSPRNG, as 43 base64url characters. */
export function newClusterSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** 32 random bytes (a connection's challenge). */
export function newNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/**
 * Parses a credential's text (surrounding whitespace ignored, as in a token file).
 * @throws WrtError `WRT_UNAUTHENTICATED` when it is neither a cluster secret nor a `wrt.ROLE.SUBJECT.MAC` token
 */
export function parseCredential(text: string): Credential {
  const t = text.trim();
  if (SECRET_PATTERN.test(t)) return { kind: 'admin', key: fromBase64url(t), text: t };
  const m = TOKEN_PATTERN.exec(t);
  if (m) {
    return { kind: 'derived', role: m[1] as Role, subject: m[2]!, key: fromBase64url(m[3]!), text: t, public: `wrt.${m[1]}.${m[2]}` };
  }
  throw new WrtError(
    'WRT_UNAUTHENTICATED',
    'the credential is neither a cluster secret (43 base64url characters) nor a token wrt.ROLE.SUBJECT.MAC; ' +
      'use the file the head wrote (--token-file) or a token from `wrt token`',
  );
}

/** HMAC-SHA256 (RFC 2104) of `data` under `key`: 32 bytes. */
export async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, new Uint8Array(data)));
}

const utf8 = new TextEncoder();

/**
 * The derived token granting `role` to `subject` under the cluster `secret`.
 * @throws WrtError `WRT_INVALID_ARGUMENT` for a role a token cannot grant or a subject outside {@link SUBJECT_PATTERN}
 */
export async function deriveToken(secret: string, role: Role, subject: string): Promise<string> {
  if (!DERIVED_ROLES.includes(role)) throw new WrtError('WRT_INVALID_ARGUMENT', `a token grants driver, volunteer or viewer, not ${role}`);
  if (!SUBJECT_PATTERN.test(subject))
    throw new WrtError('WRT_INVALID_ARGUMENT', `token subject "${subject}" must match ${SUBJECT_PATTERN.source}`);
  const pub = `wrt.${role}.${subject}`;
  return `${pub}.${base64url(await derivedKey(secret, pub))}`;
}

/** The key behind a derived token's public part `wrt.ROLE.SUBJECT`. */
export function derivedKey(secret: string, publicPart: string): Promise<Uint8Array> {
  return hmac(fromBase64url(secret), utf8.encode(publicPart));
}

/** HMAC(key, "wrt-auth-v1\0ROLE\0" + nonce): 32 bytes. */
export function proofOf(key: Uint8Array, role: Role, nonce: Uint8Array): Promise<Uint8Array> {
  const label = utf8.encode(`wrt-auth-v1\0${role}\0`);
  const data = new Uint8Array(label.length + nonce.length);
  data.set(label);
  data.set(nonce, label.length);
  return hmac(key, data);
}

/** Compares in time that depends only on the lengths, not on where the bytes first differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The role and subject a verified credential stands for; `admin` marks the cluster secret. */
export interface Principal {
  role: Role;
  subject: string;
  admin: boolean;
}

/**
 * Checks a bearer credential's text (an HTTP `Authorization: Bearer` header) against `secret`.
 * @returns the principal, or null when the text is not a valid credential of this cluster or is revoked
 */
export async function verifyBearer(secret: string, text: string, revoked: (subject: string) => boolean): Promise<Principal | null> {
  let c: Credential;
  try {
    c = parseCredential(text);
  } catch {
    return null;
  }
  if (c.kind === 'admin') return constantTimeEqual(c.key, fromBase64url(secret)) ? { role: 'driver', subject: 'admin', admin: true } : null;
  if (c.role === 'volunteer' && revoked(c.subject)) return null;
  const key = await derivedKey(secret, c.public);
  return constantTimeEqual(c.key, key) ? { role: c.role, subject: c.subject, admin: false } : null;
}
