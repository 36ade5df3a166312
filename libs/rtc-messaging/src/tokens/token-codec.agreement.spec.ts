import { createHmac, randomBytes } from 'node:crypto';
import { parseRtcToken, RtcTokenContent, serializeRtcToken, verifyRtcToken } from '.';

/*
 * 1,000 random tokens, signed by the module and read back by two parsers: the module's and the
 * independent one below, written from the wire format in the project's rtc-access-tokens notes
 * §4 (not from the module's code), with DataView rather than Buffer's readers.
 */

interface IndependentlyDecoded {
  version: string;
  appId: string;
  nonce: number;
  issuedAt: number;
  expiresAt: number;
  roomId: string;
  userId: string;
  privileges: { privilege: number; expiresAt: number }[];
  /** The signed bytes and the signature, to check the HMAC here too. */
  msg: Uint8Array;
  signature: Uint8Array;
}

/** "001" + 24-char AppId + base64(uint16-prefixed msg, uint16-prefixed signature). */
function independentDecode(token: string): IndependentlyDecoded {
  const version = token.substring(0, 3);
  const appId = token.substring(3, 27);
  const raw = Uint8Array.from(atob(token.substring(27)), (c) => c.charCodeAt(0));
  const view = new DataView(raw.buffer);
  const msgLength = view.getUint16(0, true);
  const msg = raw.slice(2, 2 + msgLength);
  const signatureLength = view.getUint16(2 + msgLength, true);
  const signature = raw.slice(4 + msgLength, 4 + msgLength + signatureLength);
  if (4 + msgLength + signatureLength !== raw.length) throw new Error('content length mismatch');

  const m = new DataView(msg.buffer);
  let offset = 0;
  const u16 = () => ((offset += 2), m.getUint16(offset - 2, true));
  const u32 = () => ((offset += 4), m.getUint32(offset - 4, true));
  const str = () => {
    const length = u16();
    offset += length;
    return new TextDecoder().decode(msg.slice(offset - length, offset));
  };
  const nonce = u32();
  const issuedAt = u32();
  const expiresAt = u32();
  const roomId = str();
  const userId = str();
  const count = u16();
  const privileges = Array.from({ length: count }, () => ({ privilege: u16(), expiresAt: u32() }));
  if (offset !== msg.length) throw new Error('msg length mismatch');
  return {
    version,
    appId,
    nonce,
    issuedAt,
    expiresAt,
    roomId,
    userId,
    privileges,
    msg,
    signature,
  };
}

/** A small seeded generator (mulberry32), so a failure can be replayed from its seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@.-';
/** The format carries any UTF-8; ids outside the RTC id rule test the format, not the service. */
const UNICODE_CHARS = `${ID_CHARS}éüñ中文房间用户🔑 ßΩ`;
const KEY_CHARS = UNICODE_CHARS;
const APP_ID_CHARS = '0123456789abcdef';

function randomContent(random: () => number): { content: RtcTokenContent; appKey: string } {
  const int = (max: number) => Math.floor(random() * (max + 1));
  const pick = (chars: string, length: number) => {
    const units = [...chars];
    return Array.from({ length }, () => units[int(units.length - 1)]).join('');
  };
  const id = (minLength: number) =>
    pick(random() < 0.1 ? UNICODE_CHARS : ID_CHARS, minLength + int(128 - minLength));
  const issuedAt = int(0xffff_ffff);
  const privileges = [0, 1, 2, 3, 4, int(0xffff)]
    .filter((code, index, all) => random() < 0.5 && all.indexOf(code) === index)
    .map((privilege) => ({ privilege, expiresAt: random() < 0.2 ? 0 : int(0xffff_ffff) }));
  return {
    appKey: pick(KEY_CHARS, 1 + int(40)),
    content: {
      appId: pick(APP_ID_CHARS, 24),
      // One token in ten is a login token (empty room id).
      roomId: random() < 0.1 ? '' : id(1),
      userId: id(1),
      nonce: int(0xffff_ffff),
      issuedAt,
      expiresAt: random() < 0.2 ? 0 : int(0xffff_ffff),
      privileges,
    },
  };
}

describe('the module and an independent decoder agree', () => {
  const seed = Number(process.env.TOKEN_AGREEMENT_SEED ?? randomBytes(4).readUInt32LE(0));

  // Each expectation names the seed and the token's index: replay with TOKEN_AGREEMENT_SEED=<seed>.
  it('on 1,000 random tokens', () => {
    const random = generator(seed);
    for (let index = 0; index < 1_000; index++) {
      const i = { seed, index };
      const { content, appKey } = randomContent(random);
      const token = serializeRtcToken(content, appKey);
      const ours = parseRtcToken(token);
      const theirs = independentDecode(token);

      const sorted = [...content.privileges].sort((a, b) => a.privilege - b.privilege);
      expect({ i, ...ours }).toEqual({ i, ...content, privileges: sorted });
      expect({
        i,
        version: theirs.version,
        appId: theirs.appId,
        roomId: theirs.roomId,
        userId: theirs.userId,
        nonce: theirs.nonce,
        issuedAt: theirs.issuedAt,
        expiresAt: theirs.expiresAt,
        privileges: theirs.privileges,
      }).toEqual({ i, version: '001', ...ours });
      const hmac = createHmac('sha256', Buffer.from(appKey, 'utf8')).update(theirs.msg).digest();
      expect({ i, signature: Buffer.from(theirs.signature).equals(hmac) }).toEqual({
        i,
        signature: true,
      });
      // Verified with its own key at the second it was issued (when not yet expired).
      const verdict = verifyRtcToken(token, appKey, {
        now: content.issuedAt,
        appId: content.appId,
      });
      const expired = content.expiresAt !== 0 && content.expiresAt <= content.issuedAt;
      expect({ i, valid: verdict.valid }).toEqual({ i, valid: !expired });
    }
  });
});
