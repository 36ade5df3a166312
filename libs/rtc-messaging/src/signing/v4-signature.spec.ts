import {
  canonicalQueryString,
  canonicalRequest,
  computeSignature,
  credentialScope,
  deriveSigningKey,
  formatXDate,
  parseAuthorization,
  parseXDate,
  sha256Hex,
  stringToSign,
  uriEscape,
} from './v4-signature';

/*
 * Known-answer vectors: volcengine-facts.md §1.8, computed by three implementations incl. the
 * official Node and Python signers (`@volcengine/openapi@1.36.2` `Signer#addAuthorization`,
 * volc-sdk-python `SignerV4.sign_only`, and an independent re-implementation). No SDK publishes
 * full vectors, so these are the project's reference values. Copied here on purpose: nothing may
 * read ../shared at build or test time.
 */
const AK = 'AKLTexampleAK';
const SK = 'exampleSecretKey==';
const X_DATE = '20240102T030405Z';
const SHORT_DATE = '20240102';
const SCOPE = { region: 'cn-north-1', service: 'rtc' };
const BODY =
  '{"AppId":"661e000000000000000543cf","From":"server_bot","To":"user_42","Binary":false,"Message":"hello"}';
const BODY_SHA256 = '5c64bc049370c493717f8a8adbed06e95a6ed5b2b138b4f63fff49a1427379b5';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SIGNING_KEY_HEX = '7ab40f890cfbd25f348bc3ebf7716236bb4ba5f54769a75542b1ac457e8c0ba5';
const SEND_UNICAST = { Action: 'SendUnicast', Version: '2023-07-20' };

/** Runs the pure pipeline (what V4Signer does) and returns the intermediate values. */
function signWithFunctions(
  request: Parameters<typeof canonicalRequest>[0],
  body: string,
  secret = SK,
  xDate = X_DATE,
) {
  const payloadHash = sha256Hex(body);
  const { canonical, signedHeaders } = canonicalRequest(request, payloadHash);
  const scope = credentialScope(xDate.slice(0, 8), SCOPE);
  const toSign = stringToSign(xDate, scope, canonical);
  const key = deriveSigningKey(secret, xDate.slice(0, 8), SCOPE);
  return {
    canonical,
    canonicalHash: sha256Hex(canonical),
    signedHeaders,
    scope,
    toSign,
    signature: computeSignature(key, toSign),
  };
}

describe('known-answer vectors (volcengine-facts.md §1.8)', () => {
  it('hashes the body and the empty string', () => {
    expect(sha256Hex(BODY)).toBe(BODY_SHA256);
    expect(sha256Hex(Buffer.from(BODY, 'utf8'))).toBe(BODY_SHA256);
    expect(sha256Hex('')).toBe(EMPTY_SHA256);
  });

  it('derives the signing key with no prefix on the secret', () => {
    expect(deriveSigningKey(SK, SHORT_DATE, SCOPE).toString('hex')).toBe(SIGNING_KEY_HEX);
  });

  it('builds the credential scope', () => {
    expect(credentialScope(SHORT_DATE, SCOPE)).toBe('20240102/cn-north-1/rtc/request');
  });

  it('V1 Go/Python style: content-type;host;x-content-sha256;x-date', () => {
    const r = signWithFunctions(
      {
        method: 'POST',
        query: SEND_UNICAST,
        headers: {
          'Content-Type': 'application/json',
          Host: 'rtc.volcengineapi.com',
          'X-Content-Sha256': BODY_SHA256,
          'X-Date': X_DATE,
        },
      },
      BODY,
    );
    // Six parts joined with \n; the header block ends in \n, hence the empty line (§1.1).
    expect(r.canonical).toBe(
      [
        'POST',
        '/',
        'Action=SendUnicast&Version=2023-07-20',
        'content-type:application/json',
        'host:rtc.volcengineapi.com',
        `x-content-sha256:${BODY_SHA256}`,
        `x-date:${X_DATE}`,
        '',
        'content-type;host;x-content-sha256;x-date',
        BODY_SHA256,
      ].join('\n'),
    );
    expect(r.signedHeaders).toBe('content-type;host;x-content-sha256;x-date');
    expect(r.canonicalHash).toBe(
      '692b5c75061fcbfd2ed38928066d37ca4626274db08674d3d308dfd20f1c7337',
    );
    expect(r.toSign).toBe(
      [
        'HMAC-SHA256',
        X_DATE,
        '20240102/cn-north-1/rtc/request',
        '692b5c75061fcbfd2ed38928066d37ca4626274db08674d3d308dfd20f1c7337',
      ].join('\n'),
    );
    expect(r.signature).toBe('cde567e2231f0f524bc08343833b6303b27a80f4376bf7e522530cb5de225491');
  });

  it('V2 Node style: x-content-sha256;x-date', () => {
    const r = signWithFunctions(
      {
        method: 'POST',
        query: SEND_UNICAST,
        headers: { 'X-Content-Sha256': BODY_SHA256, 'X-Date': X_DATE },
      },
      BODY,
    );
    expect(r.signedHeaders).toBe('x-content-sha256;x-date');
    expect(r.canonicalHash).toBe(
      '1478ee4a92dd6e70da63bc9ede5c19bf03bba0a63e440df580da7c58f704d4a1',
    );
    expect(r.signature).toBe('7a50feea5388ec0a83d86baff782240e58d1bb161d02a358935ab9a0f205fb22');
  });

  it('V3 Node style with an STS token: x-content-sha256;x-date;x-security-token', () => {
    // The access key is not part of the signature, only of the Authorization header.
    const r = signWithFunctions(
      {
        method: 'POST',
        query: SEND_UNICAST,
        headers: {
          'X-Content-Sha256': BODY_SHA256,
          'X-Date': X_DATE,
          'X-Security-Token': 'STSexampleToken',
        },
      },
      BODY,
    );
    expect(r.signedHeaders).toBe('x-content-sha256;x-date;x-security-token');
    expect(r.signature).toBe('51cddd4acee906515eef37d5ef1c2f959df6a17ed048b331bcc2addd46c8dd01');
  });

  it('V4 GET with an empty body and a query needing escaping (a b*~)', () => {
    const request = {
      method: 'GET',
      query: { Version: '2020-12-01', AppId: 'a b*~', Action: 'ListRooms' },
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
        Host: 'rtc.volcengineapi.com',
        'X-Content-Sha256': EMPTY_SHA256,
        'X-Date': X_DATE,
      },
    };
    expect(canonicalQueryString(request.query)).toBe(
      'Action=ListRooms&AppId=a%20b%2A~&Version=2020-12-01',
    );
    const r = signWithFunctions(request, '');
    expect(r.canonical.split('\n').pop()).toBe(EMPTY_SHA256);
    expect(r.signature).toBe('955d6daaf53dd128bb89718e063ecc477633074520b4515293a9e161f7689963');
  });

  it('changes the signature when any input changes (the vectors can fail)', () => {
    const request = {
      method: 'POST',
      query: SEND_UNICAST,
      headers: { 'X-Content-Sha256': BODY_SHA256, 'X-Date': X_DATE },
    };
    const base = signWithFunctions(request, BODY).signature;
    expect(signWithFunctions(request, BODY, 'exampleSecretKey=').signature).not.toBe(base);
    expect(signWithFunctions({ ...request, method: 'PUT' }, BODY).signature).not.toBe(base);
    expect(
      signWithFunctions({ ...request, query: { ...SEND_UNICAST, Version: '2020-12-01' } }, BODY)
        .signature,
    ).not.toBe(base);
    expect(signWithFunctions({ ...request, path: '/x' }, BODY).signature).not.toBe(base);
    expect(signWithFunctions(request, BODY.replace('hello', 'hellO')).signature).not.toBe(base);
  });
});

describe('formatXDate / parseXDate', () => {
  it('formats UTC as YYYYMMDDTHHMMSSZ, zero-padded, dropping milliseconds', () => {
    expect(formatXDate(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)))).toBe('20240102T030405Z');
    expect(formatXDate(new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)))).toBe('19991231T235959Z');
    expect(formatXDate(new Date(0))).toBe('19700101T000000Z');
  });

  it('parses what it formats', () => {
    expect(parseXDate(X_DATE)?.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(parseXDate('20240229T235959Z')?.toISOString()).toBe('2024-02-29T23:59:59.000Z');
  });

  it('round-trips whole-second instants', () => {
    // Deterministic spread over 1970..2100 (LCG), at second precision.
    let x = 12345;
    for (let i = 0; i < 500; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const seconds = Math.floor((x / 2 ** 32) * 4102444800);
      const date = new Date(seconds * 1000);
      const formatted = formatXDate(date);
      expect(formatted).toMatch(/^\d{8}T\d{6}Z$/);
      expect(parseXDate(formatted)?.getTime()).toBe(date.getTime());
    }
  });

  it.each([
    [''],
    ['20240102T030405'], // no Z
    ['20240102T030405z'],
    ['20240102 030405Z'],
    ['2024-01-02T03:04:05Z'], // ISO with separators
    ['20240102T030405.000Z'],
    ['20240102T030405+08:00'], // the contradicting doc example (§1.2)
    [' 20240102T030405Z'],
    ['20240102T030405Z\n'],
    ['2024012T030405Z'],
    ['20241301T000000Z'], // month 13
    ['20240001T000000Z'], // month 0
    ['20240100T000000Z'], // day 0
    ['20240230T000000Z'], // Feb 30 (Date would roll it to Mar 1)
    ['20230229T000000Z'], // not a leap year
    ['20240431T000000Z'], // Apr 31
    ['20240101T240000Z'], // hour 24 (Date would roll it to the next day)
    ['20240101T236000Z'],
    ['20240101T235960Z'],
  ])('rejects %j', (value) => {
    expect(parseXDate(value)).toBeUndefined();
  });
});

describe('uriEscape (RFC 3986)', () => {
  it('leaves the unreserved set alone, including ~', () => {
    const unreserved = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~';
    expect(uriEscape(unreserved)).toBe(unreserved);
  });

  it("escapes !'()* which encodeURIComponent leaves alone", () => {
    expect(uriEscape("!'()*")).toBe('%21%27%28%29%2A');
  });

  it('uses %20 for space, never +', () => {
    expect(uriEscape('a b')).toBe('a%20b');
    expect(uriEscape('a+b')).toBe('a%2Bb');
  });

  it('escapes reserved and other ASCII with upper-case hex', () => {
    expect(uriEscape('/?#[]@$&,;=:%"<>\\^`{|}')).toBe(
      '%2F%3F%23%5B%5D%40%24%26%2C%3B%3D%3A%25%22%3C%3E%5C%5E%60%7B%7C%7D',
    );
    expect(uriEscape('\t\n')).toBe('%09%0A');
  });

  it('escapes non-ASCII as its UTF-8 bytes', () => {
    expect(uriEscape('é')).toBe('%C3%A9');
    expect(uriEscape('中文')).toBe('%E4%B8%AD%E6%96%87');
    expect(uriEscape('😀')).toBe('%F0%9F%98%80'); // astral: one code point, four bytes
    expect(uriEscape('\u{20000}')).toBe('%F0%A0%80%80');
  });

  it('throws on a lone surrogate (it has no UTF-8 encoding)', () => {
    expect(() => uriEscape('\ud800')).toThrow(URIError);
  });
});

describe('canonicalQueryString', () => {
  it('is empty for no parameters', () => {
    expect(canonicalQueryString({})).toBe('');
  });

  it('sorts by name in ASCII order (upper case before lower case), not by insertion', () => {
    expect(canonicalQueryString({ b: '2', a: '1', B: '3', Version: 'v', Action: 'x' })).toBe(
      'Action=x&B=3&Version=v&a=1&b=2',
    );
  });

  it('keeps empty values as Key=', () => {
    expect(canonicalQueryString({ Empty: '', Action: 'A' })).toBe('Action=A&Empty=');
  });

  it('escapes names and values', () => {
    expect(canonicalQueryString({ 'k y*': "v'(al)ü", '~': '~' })).toBe(
      'k%20y%2A=v%27%28al%29%C3%BC&~=~',
    );
  });

  it('sorts numeric names as strings (unlike the Node SDK, which lists 0, 1, … first)', () => {
    expect(canonicalQueryString({ A: 'e', '10': 'c', '9': 'd', '!': 'a', '2': 'b' })).toBe(
      '%21=a&10=c&2=b&9=d&A=e',
    );
  });

  it('sorts by the raw names, as Go, Python and Node do', () => {
    // '.' (0x2E) < '/' (0x2F), but the escaped '%2F' would sort before '.'.
    expect(canonicalQueryString({ 'a/': '1', 'a.': '2' })).toBe('a.=2&a%2F=1');
  });
});

describe('canonicalRequest headers', () => {
  it('lower-cases names, trims values, sorts by lower-cased name', () => {
    const { canonical, signedHeaders } = canonicalRequest(
      {
        method: 'post',
        query: {},
        headers: { 'X-B': '  two  ', a: '\tone\t', HOST: ' h.example ', 'x-A': 'in  side' },
      },
      EMPTY_SHA256,
    );
    expect(signedHeaders).toBe('a;host;x-a;x-b');
    expect(canonical).toBe(
      [
        'POST',
        '/',
        '',
        'a:one',
        'host:h.example',
        'x-a:in  side', // inner whitespace kept (Go/Python/Java); only Node collapses it (§1.7)
        'x-b:two',
        '',
        'a;host;x-a;x-b',
        EMPTY_SHA256,
      ].join('\n'),
    );
  });

  it('uses the given path and defaults an empty path to /', () => {
    const base = { method: 'GET', query: {}, headers: { 'X-Date': X_DATE } };
    expect(canonicalRequest({ ...base, path: '/a/b' }, EMPTY_SHA256).canonical.split('\n')[1]).toBe(
      '/a/b',
    );
    expect(canonicalRequest({ ...base, path: '' }, EMPTY_SHA256).canonical.split('\n')[1]).toBe(
      '/',
    );
    expect(canonicalRequest(base, EMPTY_SHA256).canonical.split('\n')[1]).toBe('/');
  });

  it('gives the same signature for differently cased names and padded values', () => {
    const plain = signWithFunctions(
      {
        method: 'POST',
        query: SEND_UNICAST,
        headers: {
          'content-type': ' application/json\t',
          HOST: 'rtc.volcengineapi.com ',
          'x-content-sha256': BODY_SHA256,
          'x-DATE': X_DATE,
        },
      },
      BODY,
    );
    expect(plain.signature).toBe(
      'cde567e2231f0f524bc08343833b6303b27a80f4376bf7e522530cb5de225491',
    );
  });
});

describe('parseAuthorization', () => {
  const V1 =
    'HMAC-SHA256 Credential=AKLTexampleAK/20240102/cn-north-1/rtc/request, ' +
    'SignedHeaders=content-type;host;x-content-sha256;x-date, ' +
    'Signature=cde567e2231f0f524bc08343833b6303b27a80f4376bf7e522530cb5de225491';

  it('parses a valid header', () => {
    expect(parseAuthorization(V1)).toEqual({
      accessKeyId: AK,
      shortDate: SHORT_DATE,
      region: 'cn-north-1',
      service: 'rtc',
      signedHeaders: ['content-type', 'host', 'x-content-sha256', 'x-date'],
      signature: 'cde567e2231f0f524bc08343833b6303b27a80f4376bf7e522530cb5de225491',
    });
  });

  it('accepts a single signed header, no space after commas and surrounding whitespace', () => {
    const compact = V1.replace(/, /g, ',').replace(
      'content-type;host;x-content-sha256;x-date',
      'x-date',
    );
    expect(parseAuthorization(`  ${compact} `)).toMatchObject({
      accessKeyId: AK,
      signedHeaders: ['x-date'],
    });
  });

  it.each([
    ['empty', ''],
    ['other algorithm', V1.replace('HMAC-SHA256 ', 'AWS4-HMAC-SHA256 ')],
    ['no Credential', V1.replace('Credential=', 'Cred=')],
    ['empty access key', V1.replace('AKLTexampleAK', '')],
    ['7-digit date', V1.replace('/20240102/', '/2024010/')],
    ['scope not ending in request', V1.replace('/rtc/request', '/rtc/aws4_request')],
    ['missing service', V1.replace('/cn-north-1/rtc/', '/cn-north-1/')],
    ['extra scope element', V1.replace('/rtc/', '/rtc/x/')],
    ['no SignedHeaders', V1.replace(/SignedHeaders=[^,]*, /, '')],
    ['empty SignedHeaders', V1.replace(/SignedHeaders=[^,]*/, 'SignedHeaders=')],
    ['upper-case header name', V1.replace('x-date,', 'X-Date,')],
    ['empty header name (leading ;)', V1.replace('SignedHeaders=', 'SignedHeaders=;')],
    ['empty header name (;;)', V1.replace('host;', 'host;;')],
    ['empty header name (trailing ;)', V1.replace('x-date,', 'x-date;,')],
    ['signature too short', V1.slice(0, -1)],
    ['signature too long', `${V1}0`],
    ['upper-case signature hex', V1.replace('cde567e2', 'CDE567E2')],
    ['non-hex signature', V1.replace('cde567e2', 'cde567eg')],
    ['parts reordered', V1.replace(/(SignedHeaders=[^,]*), (Signature=\w+)/, '$2, $1')],
    ['trailing garbage', `${V1}, Extra=1`],
    ['semicolon separators', V1.replace(/, /g, '; ')],
  ])('rejects %s', (_label, value) => {
    expect(parseAuthorization(value)).toBeUndefined();
  });
});
