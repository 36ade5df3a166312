import { SignatureVerifier } from './signature-verifier';

/**
 * Independent vectors from the project's volcengine-facts notes §1.8 (computed with the official
 * Node signer, volc-sdk-python's SignerV4 and a separate re-implementation, which agreed).
 */
const VECTOR = {
  accessKeyId: 'AKLTexampleAK',
  secretAccessKey: 'exampleSecretKey==',
  xDate: '20240102T030405Z',
  body: '{"AppId":"661e000000000000000543cf","From":"server_bot","To":"user_42","Binary":false,"Message":"hello"}',
  bodySha256: '5c64bc049370c493717f8a8adbed06e95a6ed5b2b138b4f63fff49a1427379b5',
  query: { Action: 'SendUnicast', Version: '2023-07-20' },
  goStyleSignature: 'cde567e2231f0f524bc08343833b6303b27a80f4376bf7e522530cb5de225491',
  nodeStyleSignature: '7a50feea5388ec0a83d86baff782240e58d1bb161d02a358935ab9a0f205fb22',
  stsSignature: '51cddd4acee906515eef37d5ef1c2f959df6a17ed048b331bcc2addd46c8dd01',
};

const signedAt = Date.parse('2024-01-02T03:04:05Z');

function authorization(accessKeyId: string, signedHeaders: string, signature: string): string {
  return (
    `HMAC-SHA256 Credential=${accessKeyId}/20240102/cn-north-1/rtc/request, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`
  );
}

describe('SignatureVerifier against the independent vectors', () => {
  const verifier = new SignatureVerifier({
    credentials: [
      { accessKeyId: VECTOR.accessKeyId, secretAccessKey: VECTOR.secretAccessKey },
      {
        accessKeyId: 'AKTPexampleAK',
        secretAccessKey: VECTOR.secretAccessKey,
        sessionToken: 'STSexampleToken',
      },
    ],
    region: 'cn-north-1',
    maxClockSkewMs: 15 * 60 * 1000,
  });
  const body = Buffer.from(VECTOR.body, 'utf8');

  it('accepts V1 (Go/Python style: content-type;host;x-content-sha256;x-date)', () => {
    const headers = {
      'content-type': 'application/json',
      host: 'rtc.volcengineapi.com',
      'x-content-sha256': VECTOR.bodySha256,
      'x-date': VECTOR.xDate,
      authorization: authorization(
        VECTOR.accessKeyId,
        'content-type;host;x-content-sha256;x-date',
        VECTOR.goStyleSignature,
      ),
    };
    expect(
      verifier.verify({ method: 'POST', query: VECTOR.query, headers, body }, signedAt),
    ).toEqual({ ok: true, accessKeyId: VECTOR.accessKeyId });
  });

  it('accepts V2 (Node style: x-content-sha256;x-date, content-type sent but unsigned)', () => {
    const headers = {
      'content-type': 'application/json',
      'x-content-sha256': VECTOR.bodySha256,
      'x-date': VECTOR.xDate,
      authorization: authorization(
        VECTOR.accessKeyId,
        'x-content-sha256;x-date',
        VECTOR.nodeStyleSignature,
      ),
    };
    expect(
      verifier.verify({ method: 'POST', query: VECTOR.query, headers, body }, signedAt).ok,
    ).toBe(true);
  });

  it('accepts V3 (STS: x-security-token signed)', () => {
    const headers = {
      'x-content-sha256': VECTOR.bodySha256,
      'x-date': VECTOR.xDate,
      'x-security-token': 'STSexampleToken',
      authorization: authorization(
        'AKTPexampleAK',
        'x-content-sha256;x-date;x-security-token',
        VECTOR.stsSignature,
      ),
    };
    expect(
      verifier.verify({ method: 'POST', query: VECTOR.query, headers, body }, signedAt).ok,
    ).toBe(true);
  });

  it('refuses V2 with one signature digit changed', () => {
    const headers = {
      'x-content-sha256': VECTOR.bodySha256,
      'x-date': VECTOR.xDate,
      authorization: authorization(
        VECTOR.accessKeyId,
        'x-content-sha256;x-date',
        `${VECTOR.nodeStyleSignature.slice(0, -1)}3`,
      ),
    };
    expect(
      verifier.verify({ method: 'POST', query: VECTOR.query, headers, body }, signedAt),
    ).toEqual({
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: expect.any(String),
    });
  });
});
