import { parseAuthorization, RequestToSign } from './v4-signature';
import { V4Signer } from './v4-signer';

/*
 * Known-answer vectors: volcengine-facts.md §1.8, computed by three implementations incl. the
 * official Node and Python signers (`@volcengine/openapi@1.36.2` `Signer#addAuthorization`,
 * volc-sdk-python `SignerV4.sign_only`, and an independent re-implementation). Copied here on
 * purpose: nothing may read ../shared at build or test time.
 */
const AK = 'AKLTexampleAK';
const SK = 'exampleSecretKey==';
const NOW = new Date('2024-01-02T03:04:05Z'); // X-Date 20240102T030405Z
const SCOPE = { region: 'cn-north-1', service: 'rtc' };
const BODY =
  '{"AppId":"661e000000000000000543cf","From":"server_bot","To":"user_42","Binary":false,"Message":"hello"}';
const BODY_SHA256 = '5c64bc049370c493717f8a8adbed06e95a6ed5b2b138b4f63fff49a1427379b5';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SEND_UNICAST = { Action: 'SendUnicast', Version: '2023-07-20' };

const SIG_V1 = 'cde567e2231f0f524bc08343833b6303b27a80f4376bf7e522530cb5de225491';
const SIG_V2 = '7a50feea5388ec0a83d86baff782240e58d1bb161d02a358935ab9a0f205fb22';
const SIG_V3 = '51cddd4acee906515eef37d5ef1c2f959df6a17ed048b331bcc2addd46c8dd01';
const SIG_V4 = '955d6daaf53dd128bb89718e063ecc477633074520b4515293a9e161f7689963';

const V1_REQUEST: RequestToSign = {
  method: 'POST',
  query: SEND_UNICAST,
  headers: { 'Content-Type': 'application/json', Host: 'rtc.volcengineapi.com' },
  body: BODY,
};
const V2_REQUEST: RequestToSign = { method: 'POST', query: SEND_UNICAST, headers: {}, body: BODY };

const longTerm = () => new V4Signer({ accessKeyId: AK, secretAccessKey: SK }, SCOPE);

const authorization = (ak: string, day: string, signedHeaders: string, signature: string) =>
  `HMAC-SHA256 Credential=${ak}/${day}/cn-north-1/rtc/request, ` +
  `SignedHeaders=${signedHeaders}, Signature=${signature}`;

describe('V4Signer: known-answer vectors (volcengine-facts.md §1.8)', () => {
  it('V1 Go/Python style: returns every header to send', () => {
    expect(longTerm().sign(V1_REQUEST, NOW)).toEqual({
      'Content-Type': 'application/json',
      Host: 'rtc.volcengineapi.com',
      'X-Date': '20240102T030405Z',
      'X-Content-Sha256': BODY_SHA256,
      Authorization: authorization(
        AK,
        '20240102',
        'content-type;host;x-content-sha256;x-date',
        SIG_V1,
      ),
    });
  });

  it('V2 Node style: no extra headers', () => {
    expect(longTerm().sign(V2_REQUEST, NOW)).toEqual({
      'X-Date': '20240102T030405Z',
      'X-Content-Sha256': BODY_SHA256,
      Authorization: authorization(AK, '20240102', 'x-content-sha256;x-date', SIG_V2),
    });
  });

  it('V3 with an STS session token: sends and signs X-Security-Token', () => {
    const signer = new V4Signer(
      { accessKeyId: 'AKTPexampleAK', secretAccessKey: SK, sessionToken: 'STSexampleToken' },
      SCOPE,
    );
    expect(signer.sign(V2_REQUEST, NOW)).toEqual({
      'X-Date': '20240102T030405Z',
      'X-Content-Sha256': BODY_SHA256,
      'X-Security-Token': 'STSexampleToken',
      Authorization: authorization(
        'AKTPexampleAK',
        '20240102',
        'x-content-sha256;x-date;x-security-token',
        SIG_V3,
      ),
    });
  });

  it('V4 GET with an empty body and query a b*~', () => {
    const headers = longTerm().sign(
      {
        method: 'GET',
        query: { Action: 'ListRooms', AppId: 'a b*~', Version: '2020-12-01' },
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
          Host: 'rtc.volcengineapi.com',
        },
        body: '',
      },
      NOW,
    );
    expect(headers['X-Content-Sha256']).toBe(EMPTY_SHA256); // always sent, as Go/Python do
    expect(headers.Authorization).toBe(
      authorization(AK, '20240102', 'content-type;host;x-content-sha256;x-date', SIG_V4),
    );
  });

  it('signs a Buffer body like the same bytes as a string', () => {
    const headers = longTerm().sign({ ...V1_REQUEST, body: Buffer.from(BODY, 'utf8') }, NOW);
    expect(parseAuthorization(headers.Authorization)?.signature).toBe(SIG_V1);
  });

  it('produces an Authorization that parseAuthorization reads back', () => {
    expect(parseAuthorization(longTerm().sign(V1_REQUEST, NOW).Authorization)).toEqual({
      accessKeyId: AK,
      shortDate: '20240102',
      region: 'cn-north-1',
      service: 'rtc',
      signedHeaders: ['content-type', 'host', 'x-content-sha256', 'x-date'],
      signature: SIG_V1,
    });
  });
});

describe('V4Signer: headers', () => {
  it('signs lower-cased, trimmed headers but sends the values as given', () => {
    const headers = longTerm().sign(
      {
        ...V1_REQUEST,
        headers: { 'content-type': '  application/json\t', HOST: 'rtc.volcengineapi.com ' },
      },
      NOW,
    );
    expect(headers['content-type']).toBe('  application/json\t');
    expect(headers.HOST).toBe('rtc.volcengineapi.com ');
    expect(parseAuthorization(headers.Authorization)?.signature).toBe(SIG_V1);
  });

  it('signs every header it is given', () => {
    const headers = longTerm().sign(
      { ...V2_REQUEST, headers: { 'X-Custom': 'v', Accept: 'application/json' } },
      NOW,
    );
    expect(parseAuthorization(headers.Authorization)?.signedHeaders).toEqual([
      'accept',
      'x-content-sha256',
      'x-custom',
      'x-date',
    ]);
    expect(parseAuthorization(headers.Authorization)?.signature).not.toBe(SIG_V2);
  });

  it('sends no X-Security-Token without a session token (nor for an empty one)', () => {
    const signer = new V4Signer({ accessKeyId: AK, secretAccessKey: SK, sessionToken: '' }, SCOPE);
    const headers = signer.sign(V2_REQUEST, NOW);
    expect(Object.keys(headers).sort()).toEqual(['Authorization', 'X-Content-Sha256', 'X-Date']);
    expect(parseAuthorization(headers.Authorization)?.signature).toBe(SIG_V2);
  });

  it('does not mutate the request', () => {
    const request: RequestToSign = {
      ...V1_REQUEST,
      headers: { ...V1_REQUEST.headers },
      query: { ...SEND_UNICAST },
    };
    longTerm().sign(request, NOW);
    expect(request.headers).toEqual(V1_REQUEST.headers);
    expect(request.query).toEqual(SEND_UNICAST);
  });

  it('uses the current time by default', () => {
    jest.useFakeTimers({ now: NOW });
    try {
      expect(longTerm().sign(V2_REQUEST).Authorization).toBe(
        authorization(AK, '20240102', 'x-content-sha256;x-date', SIG_V2),
      );
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('V4Signer: signing-key cache across a day boundary', () => {
  const LATE_DAY_1 = new Date('2024-01-01T23:59:59.999Z');
  const EARLY_DAY_2 = new Date('2024-01-02T00:00:00.000Z');

  it('uses a fresh scope and key when the UTC day changes, and again when it changes back', () => {
    const signer = longTerm();
    const fresh = (now: Date) => longTerm().sign(V2_REQUEST, now).Authorization;

    const day1 = signer.sign(V2_REQUEST, LATE_DAY_1).Authorization;
    const day2 = signer.sign(V2_REQUEST, EARLY_DAY_2).Authorization;
    // NOW is on day 2 too: the key cached at 00:00:00 must yield the known vector.
    const day2Vector = signer.sign(V2_REQUEST, NOW).Authorization;
    const day1Again = signer.sign(V2_REQUEST, LATE_DAY_1).Authorization;

    expect(parseAuthorization(day1)?.shortDate).toBe('20240101');
    expect(parseAuthorization(day2)?.shortDate).toBe('20240102');
    expect(day1).toContain('Credential=AKLTexampleAK/20240101/cn-north-1/rtc/request,');
    expect(day2).toContain('Credential=AKLTexampleAK/20240102/cn-north-1/rtc/request,');
    expect(day2Vector).toBe(authorization(AK, '20240102', 'x-content-sha256;x-date', SIG_V2));

    // A signer with no cache agrees on every call.
    expect(day1).toBe(fresh(LATE_DAY_1));
    expect(day2).toBe(fresh(EARLY_DAY_2));
    expect(day1Again).toBe(day1);
    expect(parseAuthorization(day1)?.signature).not.toBe(parseAuthorization(day2)?.signature);
  });

  it('does not carry a key from one day into the next (vector after a previous-day signature)', () => {
    const signer = longTerm();
    signer.sign(V1_REQUEST, new Date('2023-12-31T12:00:00Z'));
    expect(parseAuthorization(signer.sign(V1_REQUEST, NOW).Authorization)?.signature).toBe(SIG_V1);
  });

  it('keys are per signer: another secret or region on the same day signs differently', () => {
    const other = new V4Signer({ accessKeyId: AK, secretAccessKey: `${SK}x` }, SCOPE);
    const otherRegion = new V4Signer(
      { accessKeyId: AK, secretAccessKey: SK },
      { region: 'ap-singapore-1', service: 'rtc' },
    );
    longTerm().sign(V2_REQUEST, NOW);
    expect(parseAuthorization(other.sign(V2_REQUEST, NOW).Authorization)?.signature).not.toBe(
      SIG_V2,
    );
    const regional = parseAuthorization(otherRegion.sign(V2_REQUEST, NOW).Authorization);
    expect(regional?.region).toBe('ap-singapore-1');
    expect(regional?.signature).not.toBe(SIG_V2);
  });
});
