import { requestKindOf } from './sending-routes';

describe('requestKindOf', () => {
  it.each([
    ['POST', '/v1/messages/unicast'],
    ['POST', '/v1/messages/fan-out'],
    ['POST', '/v1/rooms/lobby/messages'],
    ['POST', '/v1/rooms/lobby/messages/unicast'],
    ['POST', '/v1/rooms/lobby/messages/batch?x=1'],
    ['POST', '/v1/fan-outs'],
    ['POST', '/V1/Messages/Unicast/'],
  ])('%s %s sends', (method, url) => {
    expect(requestKindOf(method, url)).toBe('send');
  });

  it.each([
    ['POST', '/v1/tokens/login'],
    ['POST', '/v1/tokens/room'],
    ['GET', '/v1/fan-outs/42'],
    ['DELETE', '/v1/fan-outs/42'],
    ['POST', '/v1/fan-outs/42'],
    ['GET', '/v1/messages/unicast'],
    ['POST', '/v1/messages/unknown'],
    ['GET', '/health/ready'],
    [undefined, undefined],
  ])('%s %s sends nothing', (method, url) => {
    expect(requestKindOf(method, url)).toBe('other');
  });
});
