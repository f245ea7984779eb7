/**
 * PRELOGIN ENCRYPTION negotiation as SQL Server does it ([MS-TDS] 2.2.6.5): the client sends
 * ENCRYPT_OFF (0, can encrypt, wants the login only), ENCRYPT_ON (1), ENCRYPT_NOT_SUP (2) or
 * ENCRYPT_REQ (3); the server answers from its own setting.
 *
 * - mode `off`: no certificate: answers NOT_SUP whatever the client asked (MS-TDS says a client that
 *   asked for encryption must then close the connection; tedious does not, it logs in in plain text).
 * - mode `on` (a certificate, Force Encryption off): client ON/REQ -> ON (whole connection
 *   encrypted); OFF -> OFF (only the LOGIN7 packet goes through TLS); NOT_SUP -> NOT_SUP (plain).
 * - mode `required` (Force Encryption): client ON/REQ -> ON; OFF -> REQ (whole connection);
 *   NOT_SUP -> REQ and the connection is closed after the answer.
 */
export type TlsMode = 'off' | 'on' | 'required';
export const TLS_MODES: readonly TlsMode[] = ['off', 'on', 'required'];

export const Encryption = { OFF: 0x00, ON: 0x01, NOT_SUP: 0x02, REQ: 0x03 } as const;

/** none: plain TDS; login: TLS for LOGIN7 only; full: TLS from LOGIN7 on; refuse: answer, then close. */
export type EncryptionOutcome = 'none' | 'login' | 'full' | 'refuse';

export interface Negotiated {
  answer: number;
  outcome: EncryptionOutcome;
}

/** A client without an ENCRYPTION option is treated as ENCRYPT_OFF, as SQL Server does. */
export function negotiateEncryption(mode: TlsMode, client: number | undefined): Negotiated {
  const wants = client ?? Encryption.OFF;
  const asksFull = wants === Encryption.ON || wants === Encryption.REQ;
  if (mode === 'off') return { answer: Encryption.NOT_SUP, outcome: 'none' };
  if (mode === 'on') {
    if (asksFull) return { answer: Encryption.ON, outcome: 'full' };
    if (wants === Encryption.OFF) return { answer: Encryption.OFF, outcome: 'login' };
    return { answer: Encryption.NOT_SUP, outcome: 'none' };
  }
  if (asksFull) return { answer: Encryption.ON, outcome: 'full' };
  if (wants === Encryption.OFF) return { answer: Encryption.REQ, outcome: 'full' };
  return { answer: Encryption.REQ, outcome: 'refuse' };
}

export function encryptionName(value: number | undefined): string {
  const names: Record<number, string> = {
    0: 'ENCRYPT_OFF',
    1: 'ENCRYPT_ON',
    2: 'ENCRYPT_NOT_SUP',
    3: 'ENCRYPT_REQ',
  };
  return value === undefined ? 'none' : (names[value] ?? `0x${value.toString(16)}`);
}
