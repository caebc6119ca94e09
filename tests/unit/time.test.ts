import { describe, expect, it } from 'vitest';
import {
  WEEKDAYS,
  addDuration,
  durationMs,
  earliestSendTime,
  earliestUnderCap,
  instantAt,
  isInsideWindow,
  isValidTimeZone,
  localTime,
  nextWindowOpening,
  parseClock,
  parseDuration,
  parseInstant,
  type SendWindow,
} from '../../lib/engine/time';

// Expected instants are written as ISO strings with an explicit offset, so each test reads as
// "this local time in this zone".
const at = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad test date ${iso}`);
  return t;
};
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const NY = 'America/New_York';
const LONDON = 'Europe/London';
const SYDNEY = 'Australia/Sydney';
const KOLKATA = 'Asia/Kolkata';
const LORD_HOWE = 'Australia/Lord_Howe';

/** Wall clock of t in tz as 'YYYY-MM-DD HH:MM:SS ddd', for compact assertions. */
const wall = (t: number, tz: string): string => {
  const l = localTime(t, tz);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${p(l.month)}-${p(l.day)} ${p(l.hour)}:${p(l.minute)}:${p(l.second)} ${l.weekday}`;
};

describe('WEEKDAYS', () => {
  it('runs Monday to Sunday', () => {
    expect(WEEKDAYS).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
  });
});

describe('parseDuration', () => {
  it('parses every component of PnYnMnWnDTnHnMnS', () => {
    expect(parseDuration('P1Y2M3W4DT5H6M7S')).toEqual({ years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7 });
  });

  it.each([
    ['P3D', { days: 3 }],
    ['PT15M', { minutes: 15 }],
    ['P2W', { weeks: 2 }],
    ['P1M', { months: 1 }],
    ['PT1M', { minutes: 1 }],
    ['P1MT1M', { months: 1, minutes: 1 }],
    ['P0D', {}],
    ['PT36H', { hours: 36 }],
    ['PT1.5H', { hours: 1.5 }],
    ['PT0,5S', { seconds: 0.5 }], // ISO 8601 also allows a decimal comma
    ['P1DT0.25H', { days: 1, hours: 0.25 }],
    ['P2.5D', { days: 2.5 }],
  ])('accepts %s', (text, fields) => {
    expect(parseDuration(text)).toEqual({ years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0, ...fields });
  });

  it.each([
    ['', 'empty'],
    ['P', "'P' alone"],
    ['PT', "'PT' alone"],
    ['P1DT', "'T' with no time component"],
    ['-P1D', 'negative'],
    ['P-1D', 'negative component'],
    ['p1d', 'lower case'],
    ['1D', "missing 'P'"],
    [' PT1H', 'leading space'],
    ['PT1H ', 'trailing space'],
    ['PT1.5H30M', 'fraction not on the last component'],
    ['P1.5DT2H', 'fraction not on the last component'],
    ['P1.0DT2H', 'fraction not on the last component, even if zero'],
    ['P1D2M', 'components out of order'],
    ['P1Y1Y', 'repeated component'],
    ['PT1D', 'days after T'],
    ['P1H', 'hours before T'],
    ['P1.D', 'no digits after the decimal sign'],
    ['P.5D', 'no digits before the decimal sign'],
    ['PT1e3S', 'exponent'],
    ['P1.5M', 'fractional month (no well-defined length)'],
    ['P0.5Y', 'fractional year'],
  ])('rejects %j (%s)', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('addDuration', () => {
  it('adds exact units: a day is always 24 h, even across a daylight-saving change', () => {
    const t = at('2026-03-07T12:00:00-05:00');
    expect(addDuration(t, 'P1D')).toBe(t + DAY);
    expect(addDuration(t, 'PT1.5H')).toBe(t + 90 * MINUTE);
    expect(addDuration(t, 'P1W')).toBe(t + 7 * DAY);
    expect(addDuration(t, { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 30 })).toBe(t + 30_000);
  });

  it('adds calendar months in UTC, keeping the time of day', () => {
    expect(addDuration(at('2026-01-15T10:30:00Z'), 'P1M')).toBe(at('2026-02-15T10:30:00Z'));
    expect(addDuration(at('2026-12-15T10:30:00Z'), 'P1M')).toBe(at('2027-01-15T10:30:00Z'));
    expect(addDuration(at('2026-05-01T00:00:00Z'), 'P1Y2M')).toBe(at('2027-07-01T00:00:00Z'));
  });

  it('clamps to the end of a shorter month', () => {
    expect(addDuration(at('2026-01-31T10:00:00Z'), 'P1M')).toBe(at('2026-02-28T10:00:00Z'));
    expect(addDuration(at('2028-01-31T10:00:00Z'), 'P1M')).toBe(at('2028-02-29T10:00:00Z')); // leap year
    expect(addDuration(at('2026-03-31T10:00:00Z'), 'P1M')).toBe(at('2026-04-30T10:00:00Z'));
    expect(addDuration(at('2028-02-29T10:00:00Z'), 'P1Y')).toBe(at('2029-02-28T10:00:00Z'));
  });

  it('adds the months first, then the exact part', () => {
    expect(addDuration(at('2026-01-31T10:00:00Z'), 'P1MT2H')).toBe(at('2026-02-28T12:00:00Z'));
    expect(addDuration(at('2026-01-31T10:00:00Z'), 'P1M1D')).toBe(at('2026-03-01T10:00:00Z'));
  });

  it('throws a clear error for an invalid duration string', () => {
    expect(() => addDuration(0, '3 days')).toThrow(/Invalid ISO 8601 duration "3 days"/);
    expect(() => addDuration(Number.NaN, 'P1D')).toThrow(/Invalid instant/);
  });
});

describe('durationMs', () => {
  it('is exact without years or months', () => {
    expect(durationMs('PT1H')).toBe(HOUR);
    expect(durationMs('P1W')).toBe(7 * DAY);
    expect(durationMs('P1DT0.5S')).toBe(DAY + 500);
  });

  it('approximates calendar units by their length from epoch 0 (January 1970)', () => {
    expect(durationMs('P1M')).toBe(31 * DAY);
    expect(durationMs('P1Y')).toBe(365 * DAY);
  });
});

describe('isValidTimeZone', () => {
  it.each(['Europe/Paris', 'UTC', 'America/New_York', 'Asia/Kolkata'])('accepts %s', (tz) => {
    expect(isValidTimeZone(tz)).toBe(true);
  });
  it.each(['Mars/Olympus', '', 'Not a zone'])('rejects %j', (tz) => {
    expect(isValidTimeZone(tz)).toBe(false);
  });
  it('does not fall back to the host time zone when the name is missing', () => {
    expect(isValidTimeZone(undefined as unknown as string)).toBe(false);
    expect(() => localTime(0, undefined as unknown as string)).toThrow(/Invalid time zone/);
  });
});

describe('parseClock', () => {
  it('returns minutes since midnight', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('09:30')).toBe(570);
    expect(parseClock('23:59')).toBe(1439);
  });
  it("accepts '24:00' only when asked (end of a window)", () => {
    expect(parseClock('24:00')).toBeNull();
    expect(parseClock('24:00', { allow24: true })).toBe(1440);
    expect(parseClock('24:01', { allow24: true })).toBeNull();
  });
  it.each(['9:00', '09:60', '25:00', '09:00:00', '0900', 'ab:cd', ''])('rejects %j', (text) => {
    expect(parseClock(text)).toBeNull();
  });
});

describe('localTime', () => {
  it('America/New_York springs forward at 02:00 EST on 2026-03-08', () => {
    expect(wall(at('2026-03-08T06:59:59Z'), NY)).toBe('2026-03-08 01:59:59 sun');
    expect(wall(at('2026-03-08T07:00:00Z'), NY)).toBe('2026-03-08 03:00:00 sun');
  });

  it('America/New_York falls back at 02:00 EDT on 2026-11-01: 01:30 happens twice', () => {
    expect(wall(at('2026-11-01T05:30:00Z'), NY)).toBe('2026-11-01 01:30:00 sun');
    expect(wall(at('2026-11-01T06:30:00Z'), NY)).toBe('2026-11-01 01:30:00 sun');
  });

  it('Europe/London changes at 01:00 UTC on 2026-03-29 and 2026-10-25', () => {
    expect(wall(at('2026-03-29T00:59:00Z'), LONDON)).toBe('2026-03-29 00:59:00 sun');
    expect(wall(at('2026-03-29T01:00:00Z'), LONDON)).toBe('2026-03-29 02:00:00 sun');
    expect(wall(at('2026-10-25T00:30:00Z'), LONDON)).toBe('2026-10-25 01:30:00 sun');
    expect(wall(at('2026-10-25T01:30:00Z'), LONDON)).toBe('2026-10-25 01:30:00 sun');
  });

  it('Australia/Sydney (southern hemisphere) falls back in April and springs forward in October', () => {
    expect(wall(at('2026-04-04T15:59:00Z'), SYDNEY)).toBe('2026-04-05 02:59:00 sun');
    expect(wall(at('2026-04-04T16:00:00Z'), SYDNEY)).toBe('2026-04-05 02:00:00 sun');
    expect(wall(at('2026-10-03T15:59:00Z'), SYDNEY)).toBe('2026-10-04 01:59:00 sun');
    expect(wall(at('2026-10-03T16:00:00Z'), SYDNEY)).toBe('2026-10-04 03:00:00 sun');
  });

  it('Asia/Kolkata is UTC+05:30 all year', () => {
    expect(localTime(at('2026-06-01T00:00:00Z'), KOLKATA)).toEqual({
      year: 2026, month: 6, day: 1, hour: 5, minute: 30, second: 0, weekday: 'mon', minuteOfDay: 330,
    });
    expect(wall(at('2026-12-31T18:29:00Z'), KOLKATA)).toBe('2026-12-31 23:59:00 thu');
    expect(wall(at('2026-12-31T18:30:00Z'), KOLKATA)).toBe('2027-01-01 00:00:00 fri');
  });

  it('Australia/Lord_Howe moves its clock by only 30 minutes', () => {
    expect(wall(at('2026-10-03T15:29:00Z'), LORD_HOWE)).toBe('2026-10-04 01:59:00 sun'); // +10:30
    expect(wall(at('2026-10-03T15:30:00Z'), LORD_HOWE)).toBe('2026-10-04 02:30:00 sun'); // +11:00
    expect(wall(at('2026-04-04T14:59:00Z'), LORD_HOWE)).toBe('2026-04-05 01:59:00 sun'); // +11:00
    expect(wall(at('2026-04-04T15:00:00Z'), LORD_HOWE)).toBe('2026-04-05 01:30:00 sun'); // +10:30
  });

  it('agrees with Intl for every hour of 2026 in several zones', () => {
    for (const tz of [NY, LONDON, SYDNEY, KOLKATA, LORD_HOWE, 'UTC']) {
      const f = new Intl.DateTimeFormat('en-CA', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
      for (let t = at('2026-01-01T00:17:00Z'); t < at('2027-01-01T00:00:00Z'); t += HOUR) {
        expect(wall(t, tz).slice(0, 19), `${tz} ${new Date(t).toISOString()}`).toBe(f.format(t).replace(', ', ' '));
      }
    }
  });

  it('throws for an unknown time zone', () => {
    expect(() => localTime(0, 'Mars/Olympus')).toThrow(/Unknown time zone "Mars\/Olympus"/);
  });
});

describe('instantAt', () => {
  it('finds the instant for an ordinary local time', () => {
    expect(instantAt(NY, 2026, 3, 9, 9, 0)).toBe(at('2026-03-09T09:00:00-04:00'));
    expect(instantAt(NY, 2026, 3, 7, 9, 0)).toBe(at('2026-03-07T09:00:00-05:00'));
    expect(instantAt(KOLKATA, 2026, 6, 1, 9, 0)).toBe(at('2026-06-01T09:00:00+05:30'));
    expect(instantAt('UTC', 2026, 2, 28, 23, 59)).toBe(at('2026-02-28T23:59:00Z'));
  });

  it('in a spring-forward gap, shifts forward by the gap (02:30 New York on 2026-03-08 is 03:30 EDT)', () => {
    expect(instantAt(NY, 2026, 3, 8, 2, 30)).toBe(at('2026-03-08T03:30:00-04:00'));
    expect(instantAt(NY, 2026, 3, 8, 2, 0)).toBe(at('2026-03-08T03:00:00-04:00'));
    expect(instantAt(LONDON, 2026, 3, 29, 1, 30)).toBe(at('2026-03-29T02:30:00+01:00'));
    expect(instantAt(SYDNEY, 2026, 10, 4, 2, 30)).toBe(at('2026-10-04T03:30:00+11:00'));
    expect(instantAt(LORD_HOWE, 2026, 10, 4, 2, 15)).toBe(at('2026-10-04T02:45:00+11:00'));
  });

  it('in a fall-back overlap, returns the earlier of the two instants', () => {
    expect(instantAt(NY, 2026, 11, 1, 1, 30)).toBe(at('2026-11-01T01:30:00-04:00'));
    expect(instantAt(LONDON, 2026, 10, 25, 1, 30)).toBe(at('2026-10-25T01:30:00+01:00'));
    expect(instantAt(SYDNEY, 2026, 4, 5, 2, 30)).toBe(at('2026-04-05T02:30:00+11:00'));
    expect(instantAt(LORD_HOWE, 2026, 4, 5, 1, 45)).toBe(at('2026-04-05T01:45:00+11:00'));
  });

  it('round-trips with localTime for every 15 minutes around the New York changes', () => {
    for (const day of ['2026-03-08', '2026-11-01']) {
      for (let t = at(`${day}T00:00:00-05:00`) - DAY; t < at(`${day}T00:00:00-05:00`) + 2 * DAY; t += 15 * MINUTE) {
        const l = localTime(t, NY);
        const back = instantAt(NY, l.year, l.month, l.day, l.hour, l.minute);
        expect(wall(back, NY)).toBe(wall(t, NY));
        expect(back === t || back === t - HOUR).toBe(true); // t - 1 h: the second pass through the overlap
      }
    }
  });

  it('rejects out-of-range fields instead of normalising them', () => {
    expect(() => instantAt(NY, 2026, 13, 1, 0, 0)).toThrow(RangeError);
    expect(() => instantAt(NY, 2026, 2, 29, 0, 0)).toThrow(RangeError);
    expect(() => instantAt(NY, 2026, 1, 1, 24, 0)).toThrow(RangeError);
    expect(() => instantAt(NY, 2026, 1, 1, 9, 1.5)).toThrow(RangeError);
    expect(() => instantAt('Mars/Olympus', 2026, 1, 1, 9, 0)).toThrow(/Unknown time zone/);
  });
});

describe('send windows', () => {
  const officeHours: SendWindow = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:00' };

  it('given a customer in America/New_York, an email due Saturday 10:00 with a Mon–Fri 09:00–18:00 window goes Monday 09:00 local, across the spring-forward weekend', () => {
    const due = at('2026-03-07T10:00:00-05:00'); // Saturday, EST
    expect(nextWindowOpening(due, officeHours, NY)).toBe(at('2026-03-09T09:00:00-04:00')); // Monday, EDT
  });

  it('opens at 09:00 local on both sides of the fall-back weekend too', () => {
    expect(nextWindowOpening(at('2026-10-30T18:00:00-04:00'), officeHours, NY)).toBe(at('2026-11-02T09:00:00-05:00'));
    expect(nextWindowOpening(at('2026-03-28T12:00:00Z'), officeHours, LONDON)).toBe(at('2026-03-30T09:00:00+01:00'));
    expect(nextWindowOpening(at('2026-10-24T12:00:00+01:00'), officeHours, LONDON)).toBe(at('2026-10-26T09:00:00Z'));
    expect(nextWindowOpening(at('2026-04-04T12:00:00+11:00'), officeHours, SYDNEY)).toBe(at('2026-04-06T09:00:00+10:00'));
    expect(nextWindowOpening(at('2026-10-03T12:00:00+10:30'), officeHours, LORD_HOWE)).toBe(at('2026-10-05T09:00:00+11:00'));
  });

  it('sends right away when already inside the window', () => {
    const t = at('2026-03-10T10:00:00-04:00'); // Tuesday
    expect(nextWindowOpening(t, officeHours, NY)).toBe(t);
    expect(isInsideWindow(t, officeHours, NY)).toBe(true);
  });

  it('treats the window as [start, end): 17:59:59.999 is inside, 18:00 is not', () => {
    const closing = at('2026-03-10T18:00:00-04:00');
    expect(isInsideWindow(closing - 1, officeHours, NY)).toBe(true);
    expect(isInsideWindow(closing, officeHours, NY)).toBe(false);
    expect(nextWindowOpening(closing, officeHours, NY)).toBe(at('2026-03-11T09:00:00-04:00'));
    expect(isInsideWindow(at('2026-03-10T09:00:00-04:00'), officeHours, NY)).toBe(true);
  });

  it('waits for the opening later the same day, and over the weekend from Friday evening', () => {
    expect(nextWindowOpening(at('2026-03-09T07:00:00-04:00'), officeHours, NY)).toBe(at('2026-03-09T09:00:00-04:00'));
    expect(nextWindowOpening(at('2026-03-13T18:30:00-04:00'), officeHours, NY)).toBe(at('2026-03-16T09:00:00-04:00'));
  });

  it('uses the customer’s own zone, including half-hour offsets (Asia/Kolkata 09:00 is 03:30 UTC)', () => {
    const window: SendWindow = { start: '09:00', end: '18:00' };
    expect(nextWindowOpening(at('2026-06-01T00:00:00Z'), window, KOLKATA)).toBe(at('2026-06-01T03:30:00Z'));
    expect(nextWindowOpening(at('2026-06-01T12:30:00Z'), window, KOLKATA)).toBe(at('2026-06-02T03:30:00Z'));
  });

  describe('a window wrapping midnight (Friday 20:00 to Saturday 08:00)', () => {
    const fridayNight: SendWindow = { days: ['fri'], start: '20:00', end: '08:00' };

    it('opens on Friday evening', () => {
      expect(nextWindowOpening(at('2026-03-13T19:00:00-04:00'), fridayNight, NY)).toBe(at('2026-03-13T20:00:00-04:00'));
    });
    it("Saturday's early morning belongs to Friday's window", () => {
      const t = at('2026-03-14T07:00:00-04:00');
      expect(isInsideWindow(t, fridayNight, NY)).toBe(true);
      expect(nextWindowOpening(t, fridayNight, NY)).toBe(t);
    });
    it("Friday's early morning belongs to Thursday's window, which is not listed", () => {
      expect(isInsideWindow(at('2026-03-13T06:00:00-04:00'), fridayNight, NY)).toBe(false);
      expect(nextWindowOpening(at('2026-03-13T06:00:00-04:00'), fridayNight, NY)).toBe(at('2026-03-13T20:00:00-04:00'));
    });
    it('closes at 08:00 Saturday; the next opening is a week later', () => {
      expect(nextWindowOpening(at('2026-03-14T08:00:00-04:00'), fridayNight, NY)).toBe(at('2026-03-20T20:00:00-04:00'));
    });
    it('without days, it is open every night', () => {
      const nightly: SendWindow = { start: '22:00', end: '06:00' };
      expect(isInsideWindow(at('2026-03-10T23:30:00-04:00'), nightly, NY)).toBe(true);
      expect(isInsideWindow(at('2026-03-10T05:59:00-04:00'), nightly, NY)).toBe(true);
      expect(nextWindowOpening(at('2026-03-10T06:00:00-04:00'), nightly, NY)).toBe(at('2026-03-10T22:00:00-04:00'));
    });
  });

  it("end '24:00' closes at midnight; start equal to end is open for 24 h from the start", () => {
    const evening: SendWindow = { start: '20:00', end: '24:00' };
    expect(isInsideWindow(at('2026-03-10T23:59:00-04:00'), evening, NY)).toBe(true);
    expect(isInsideWindow(at('2026-03-11T00:00:00-04:00'), evening, NY)).toBe(false);
    const mondayAllDay: SendWindow = { days: ['mon'], start: '09:00', end: '09:00' };
    expect(isInsideWindow(at('2026-03-10T08:59:00-04:00'), mondayAllDay, NY)).toBe(true); // Tuesday morning
    expect(nextWindowOpening(at('2026-03-10T09:00:00-04:00'), mondayAllDay, NY)).toBe(at('2026-03-16T09:00:00-04:00'));
  });

  it('a window opening inside the spring-forward gap opens when the clock jumps to 03:00', () => {
    const window: SendWindow = { start: '02:30', end: '05:00' };
    // 02:30 never shows on 2026-03-08; at 03:00 EDT the clock is inside the window.
    expect(nextWindowOpening(at('2026-03-07T12:00:00-05:00'), window, NY)).toBe(at('2026-03-08T03:00:00-04:00'));
    // The next day is ordinary again.
    expect(nextWindowOpening(at('2026-03-08T05:00:00-04:00'), window, NY)).toBe(at('2026-03-09T02:30:00-04:00'));
  });

  it('a window entirely inside the gap does not happen that day', () => {
    const window: SendWindow = { start: '02:00', end: '02:45' };
    expect(nextWindowOpening(at('2026-03-07T12:00:00-05:00'), window, NY)).toBe(at('2026-03-09T02:00:00-04:00'));
  });

  it('in the fall-back overlap the clock enters the window a second time, and that counts', () => {
    const window: SendWindow = { start: '01:00', end: '01:30' };
    // 01:40 EDT: the first pass through 01:00-01:30 is over, but at 02:00 EDT the clock goes back to 01:00 EST.
    expect(nextWindowOpening(at('2026-11-01T01:40:00-04:00'), window, NY)).toBe(at('2026-11-01T01:00:00-05:00'));
    expect(isInsideWindow(at('2026-11-01T01:15:00-04:00'), window, NY)).toBe(true);
    expect(isInsideWindow(at('2026-11-01T01:15:00-05:00'), window, NY)).toBe(true);
  });

  it('a window opening in the Lord Howe half-hour gap opens at 02:30', () => {
    const window: SendWindow = { start: '02:10', end: '04:00' };
    expect(nextWindowOpening(at('2026-10-03T12:00:00+10:30'), window, LORD_HOWE)).toBe(at('2026-10-04T02:30:00+11:00'));
  });

  it('rejects invalid windows with a clear error', () => {
    const t = at('2026-03-10T10:00:00Z');
    expect(() => nextWindowOpening(t, { start: '24:00', end: '08:00' }, NY)).toThrow(/start "24:00"/);
    expect(() => nextWindowOpening(t, { start: '09:00', end: '9pm' }, NY)).toThrow(/end "9pm"/);
    expect(() => nextWindowOpening(t, { days: [], start: '09:00', end: '18:00' }, NY)).toThrow(/empty days/);
    expect(() => isInsideWindow(t, { days: ['funday' as 'mon'], start: '09:00', end: '18:00' }, NY)).toThrow(/day "funday"/);
    expect(() => nextWindowOpening(t, officeHours, 'Mars/Olympus')).toThrow(/Unknown time zone/);
  });
});

describe('earliestUnderCap (rolling window (x - per, x])', () => {
  const t0 = at('2026-03-10T00:00:00Z');

  it('allows a send at once when fewer than max went in the last period', () => {
    expect(earliestUnderCap(t0 + 13 * HOUR, [t0 + 10 * HOUR], 2, DAY)).toBe(t0 + 13 * HOUR);
    expect(earliestUnderCap(t0, [], 1, DAY)).toBe(t0);
  });

  it('with 2 per day sent at 10:00 and 12:00, the next may go at 10:00 the next day: exactly one period later is allowed', () => {
    const sends = [t0 + 12 * HOUR, t0 + 10 * HOUR];
    expect(earliestUnderCap(t0 + 13 * HOUR, sends, 2, DAY)).toBe(t0 + DAY + 10 * HOUR);
    expect(earliestUnderCap(t0 + DAY + 10 * HOUR - 1, sends, 2, DAY)).toBe(t0 + DAY + 10 * HOUR);
    expect(earliestUnderCap(t0 + DAY + 10 * HOUR, sends, 2, DAY)).toBe(t0 + DAY + 10 * HOUR);
  });

  it('ignores sends older than the period and accepts any order', () => {
    const sends = [t0 + 9 * HOUR, t0 - 3 * DAY, t0 + 1 * HOUR, t0 + 5 * HOUR, t0 - 2 * DAY];
    // In the last day: 01:00, 05:00, 09:00. With max 4 there is room.
    expect(earliestUnderCap(t0 + 10 * HOUR, sends, 4, DAY)).toBe(t0 + 10 * HOUR);
    // With max 3, the 01:00 send must age out.
    expect(earliestUnderCap(t0 + 10 * HOUR, sends, 3, DAY)).toBe(t0 + DAY + 1 * HOUR);
    // With max 2, the 05:00 send as well; with max 1, the 09:00 one too.
    expect(earliestUnderCap(t0 + 10 * HOUR, sends, 2, DAY)).toBe(t0 + DAY + 5 * HOUR);
    expect(earliestUnderCap(t0 + 10 * HOUR, sends, 1, DAY)).toBe(t0 + DAY + 9 * HOUR);
  });

  it('counts sends already scheduled after t once x reaches them', () => {
    // One per day; a send is booked for 12:00, so nothing may go between 12:00 and 12:00 the next day,
    // while 11:00 is fine.
    expect(earliestUnderCap(t0 + 11 * HOUR, [t0 + 12 * HOUR], 1, DAY)).toBe(t0 + 11 * HOUR);
    expect(earliestUnderCap(t0 + 12 * HOUR, [t0 + 12 * HOUR], 1, DAY)).toBe(t0 + DAY + 12 * HOUR);
  });

  it('rejects a meaningless cap', () => {
    expect(() => earliestUnderCap(t0, [], 0, DAY)).toThrow(RangeError);
    expect(() => earliestUnderCap(t0, [], 1.5, DAY)).toThrow(RangeError);
    expect(() => earliestUnderCap(t0, [], 1, -1)).toThrow(RangeError);
  });
});

describe('earliestSendTime (cap first, then window)', () => {
  const officeHours: SendWindow = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:00' };
  const oncePerDay = { max: 1, perMs: DAY };

  it('without a window or cap, sends at once', () => {
    const t = at('2026-03-10T03:00:00Z');
    expect(earliestSendTime(t, { timeZone: NY })).toBe(t);
  });

  it('applies the window alone', () => {
    expect(earliestSendTime(at('2026-03-07T10:00:00-05:00'), { timeZone: NY, window: officeHours })).toBe(at('2026-03-09T09:00:00-04:00'));
  });

  it('when the cap lands inside the window, the email goes when the cap allows', () => {
    const lastSend = at('2026-03-09T16:00:00-04:00'); // Monday 16:00
    const t = at('2026-03-09T17:00:00-04:00');
    expect(earliestSendTime(t, { timeZone: NY, window: officeHours, cap: oncePerDay, previousSends: [lastSend] })).toBe(at('2026-03-10T16:00:00-04:00'));
  });

  it('when the cap lands after hours, the window moves it to the next opening', () => {
    const lastSend = at('2026-03-09T19:00:00-04:00'); // Monday 19:00 (sent outside any window, e.g. transactional)
    const t = at('2026-03-10T10:00:00-04:00');
    expect(earliestSendTime(t, { timeZone: NY, window: officeHours, cap: oncePerDay, previousSends: [lastSend] })).toBe(at('2026-03-11T09:00:00-04:00'));
  });

  it('when the cap lands on Friday evening, the email waits for Monday', () => {
    const lastSend = at('2026-03-12T18:30:00-04:00'); // Thursday 18:30
    const t = at('2026-03-13T09:00:00-04:00');
    expect(earliestSendTime(t, { timeZone: NY, window: officeHours, cap: oncePerDay, previousSends: [lastSend] })).toBe(at('2026-03-16T09:00:00-04:00'));
  });

  it('re-checks the cap at the window opening when a send is already booked there', () => {
    const sends = [at('2026-03-09T19:00:00-04:00'), at('2026-03-11T09:00:00-04:00')]; // Monday 19:00, Wednesday 09:00 (booked)
    const t = at('2026-03-10T10:00:00-04:00');
    // Cap -> Tuesday 19:00, window -> Wednesday 09:00, taken by the booking -> Thursday 09:00.
    expect(earliestSendTime(t, { timeZone: NY, window: officeHours, cap: oncePerDay, previousSends: sends })).toBe(at('2026-03-12T09:00:00-04:00'));
  });
});

describe('parseInstant', () => {
  it('gives what Date.parse gives, for the canonical form and anything else', () => {
    // Prepare: every day of four years with days 00 and 29 to 32 (Date.parse rolls 30 February over), times at their limits, other forms
    const texts: string[] = [];
    for (const year of [1970, 2024, 2026, 2100]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) texts.push(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T23:59:59.999Z`);
      }
    }
    for (const time of ['00:00:00.000', '24:00:00.000', '23:60:00.000', '23:59:60.000', '12:34:56.78x']) texts.push(`2026-03-15T${time}Z`);
    texts.push('0000-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000+01:00', '+002026-01-01T00:00:00.000Z', '2026-01-01', 'not a time at all, 24 ch', '');

    // Act / Assess
    for (const text of texts) expect(Object.is(parseInstant(text), Date.parse(text)), text).toBe(true);
    for (let t = Date.parse('1999-12-31T00:00:00Z'); t < Date.parse('2001-01-02T00:00:00Z'); t += 3_599_999) expect(parseInstant(new Date(t).toISOString())).toBe(t);
  });
});
