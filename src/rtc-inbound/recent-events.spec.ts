import type { RtcEventDelivery } from 'nestjs-volcengine-rtc';
import { RecentEvents } from './recent-events';
import { RECENT_EVENTS_LIMIT } from './rtc-inbound.constants';

const delivery = (
  eventId: string,
  outcome: RtcEventDelivery['outcome'],
  receivedAt = new Date('2026-12-07T00:00:00.000Z'),
): RtcEventDelivery => ({
  eventId,
  eventType: 'UserJoinRoom',
  appId: 'app',
  rawEventTime: '2026-12-06T23:59:59Z',
  receivedAt,
  outcome,
});

describe('RecentEvents', () => {
  it('lists a handled event with every delivery counted, duplicates and retries included', () => {
    const recent = new RecentEvents();
    const first = new Date('2026-12-07T00:00:01.000Z');
    recent.record(delivery('e1', 'failed', first));
    recent.record(delivery('e1', 'handled'));
    recent.record(delivery('e1', 'duplicate'));

    expect(recent.list()).toEqual([
      {
        eventId: 'e1',
        eventType: 'UserJoinRoom',
        appId: 'app',
        eventTime: '2026-12-06T23:59:59Z',
        receivedAt: first.toISOString(),
        deliveries: 3,
      },
    ]);
  });

  it('lists only events handled here: not one that failed, nor one another instance handled', () => {
    const recent = new RecentEvents();
    recent.record(delivery('failed-only', 'failed'));
    recent.record(delivery('elsewhere', 'duplicate'));
    recent.record(delivery('running', 'timed_out'));
    expect(recent.list()).toEqual([]);
  });

  it('lists the most recently handled first, at most 100', () => {
    const recent = new RecentEvents();
    for (let i = 0; i < RECENT_EVENTS_LIMIT + 5; i++) recent.record(delivery(`e${i}`, 'handled'));
    const ids = recent.list().map((event) => event.eventId);

    expect(ids).toHaveLength(RECENT_EVENTS_LIMIT);
    expect(ids[0]).toBe(`e${RECENT_EVENTS_LIMIT + 4}`);
    expect(ids.at(-1)).toBe('e5');
  });

  it('forgets the oldest unhandled events first, so they cannot grow without bound', () => {
    const recent = new RecentEvents();
    for (let i = 0; i < RECENT_EVENTS_LIMIT * 10 + 1; i++)
      recent.record(delivery(`p${i}`, 'failed'));
    // p0 was forgotten: its retry starts a count of its own.
    recent.record(delivery('p0', 'handled'));
    recent.record(delivery('p1', 'handled'));
    expect(recent.list().map(({ eventId, deliveries }) => [eventId, deliveries])).toEqual([
      ['p1', 2],
      ['p0', 1],
    ]);
  });
});
