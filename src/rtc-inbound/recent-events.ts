import { Injectable } from '@nestjs/common';
import type { RtcEventDelivery } from 'nestjs-volcengine-rtc';
import { RECENT_EVENTS_LIMIT } from './rtc-inbound.constants';

/** One event this instance handled, as `GET /v1/rtc/events/recent` lists it. */
export interface RecentEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly appId: string;
  /** `EventTime` as RTC sent it. */
  readonly eventTime: string;
  /** When this instance first received it, ISO-8601. */
  readonly receivedAt: string;
  /** Every verified delivery of it this instance received, duplicates and retries included. */
  readonly deliveries: number;
}

interface Entry {
  eventId: string;
  eventType: string;
  appId: string;
  eventTime: string;
  receivedAt: Date;
  deliveries: number;
  handled: boolean;
}

/**
 * The events this instance handled lately, for `GET /v1/rtc/events/recent`: fed by the library's
 * `onEventDelivery` with every verified delivery, duplicates included. An event is listed once
 * its handler succeeded here; until then (a failed handler, a run still going, or a duplicate of
 * an event another instance handled) only its deliveries are counted, for at most `limit × 10`
 * such events, so neither list grows without bound.
 */
@Injectable()
export class RecentEvents {
  /** Handled events, oldest handled first (a `Map` keeps insertion order). */
  private readonly handled = new Map<string, Entry>();
  /** Events seen but not handled here (yet). */
  private readonly pending = new Map<string, Entry>();

  private readonly limit = RECENT_EVENTS_LIMIT;

  /** Counts one verified delivery, and lists its event once it is handled. */
  record(delivery: RtcEventDelivery): void {
    const entry = this.handled.get(delivery.eventId) ??
      this.pending.get(delivery.eventId) ?? {
        eventId: delivery.eventId,
        eventType: delivery.eventType,
        appId: delivery.appId,
        eventTime: delivery.rawEventTime,
        receivedAt: delivery.receivedAt,
        deliveries: 0,
        handled: false,
      };
    entry.deliveries++;
    if (delivery.outcome === 'handled' && !entry.handled) {
      entry.handled = true;
      this.pending.delete(entry.eventId);
      this.handled.set(entry.eventId, entry);
      this.trim(this.handled, this.limit);
    } else if (!entry.handled && !this.pending.has(entry.eventId)) {
      this.pending.set(entry.eventId, entry);
      this.trim(this.pending, this.limit * 10);
    }
  }

  /** The handled events, the most recently handled first, at most `limit`. */
  list(): RecentEvent[] {
    return [...this.handled.values()].reverse().map((entry) => ({
      eventId: entry.eventId,
      eventType: entry.eventType,
      appId: entry.appId,
      eventTime: entry.eventTime,
      receivedAt: entry.receivedAt.toISOString(),
      deliveries: entry.deliveries,
    }));
  }

  private trim(entries: Map<string, Entry>, max: number): void {
    for (const id of entries.keys()) {
      if (entries.size <= max) return;
      entries.delete(id);
    }
  }
}
