import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { answerWith, StubUpstream } from '../../test/stub-upstream';
import { RTC_HTTP_SERVICE, RtcMessagingModule, UnicastService } from '../index';

/** What a user's provider does with the exported token: tag every call, and log its answer. */
@Injectable()
class RequestTagger implements OnModuleInit {
  readonly log: string[] = [];

  constructor(@Inject(RTC_HTTP_SERVICE) private readonly http: HttpService) {}

  onModuleInit(): void {
    const { interceptors } = this.http.axiosRef;
    interceptors.request.use((config) => {
      config.headers.set('X-Request-Tag', 'billing');
      return config;
    });
    interceptors.response.use((response) => {
      this.log.push(`${response.config.method} ${response.config.url} -> ${response.status}`);
      return response;
    });
  }
}

describe('RTC_HTTP_SERVICE, exported by RtcMessagingModule', () => {
  let upstream: StubUpstream;
  let moduleRef: TestingModule;

  beforeAll(async () => {
    upstream = new StubUpstream();
    const endpoint = await upstream.start();

    @Module({
      imports: [
        RtcMessagingModule.forRoot({
          accessKeyId: 'AKLTexported',
          secretAccessKey: 'secret',
          appId: 'app',
          from: 'server_bot',
          endpoint,
          // No budget, so no connections warmed at boot: the upstream sees this test's call only.
          rateLimit: false,
        }),
      ],
      providers: [RequestTagger],
    })
    class UserModule {}

    moduleRef = await Test.createTestingModule({ imports: [UserModule] }).compile();
    await moduleRef.init();
  });

  afterAll(async () => {
    await moduleRef.close();
    await upstream.stop();
  });

  it("lets an importing module's provider add interceptors that run on a real call", async () => {
    upstream.handler = answerWith(200, {
      ResponseMetadata: { RequestId: 'req-1' },
      Result: { Message: 'Success' },
    });

    await expect(moduleRef.get(UnicastService).sendText('user_1', 'hi')).resolves.toMatchObject({
      requestId: 'req-1',
    });

    expect(upstream.requests.map(({ req }) => req.headers['x-request-tag'])).toEqual(['billing']);
    expect(moduleRef.get(RequestTagger).log).toEqual([
      'post /?Action=SendUnicast&Version=2023-07-20 -> 200',
    ]);
  });
});
