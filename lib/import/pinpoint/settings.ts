/**
 * Journey and application settings: when emails may go (quiet time, open
 * hours, closed days), how many (caps), who may come back (re-entry), and in
 * which time zone.
 *
 * Precedence follows Pinpoint: a journey's own `Limits` and `QuietTime` win
 * over the application's defaults (`get-application-settings`), and
 * `OpenHours`/`ClosedDays` count only with `SendingSchedule: true`.
 */
import type { z } from 'zod';
import type { Reentry, SendWindow } from '../../engine/schema';
import { parseClock, parseDuration, type Weekday } from '../../engine/time';
import type { ApplicationSettingsResource, Journey, OpenHoursRule, QuietTime } from './model';
import type { ImportReport, PinpointPath } from './report';

/** The cross-journey budget of WORKFLOWS.md Revision 2 (`workflows/settings.json`). */
export interface Budget {
  max: number;
  per: string;
}

export interface MappedSettings {
  timezone: string;
  sendWindow?: SendWindow;
  frequencyCap?: { max: number; per: string };
  reentry: z.input<typeof Reentry>;
  /** EndpointReentryCap above 1: customers may enter this many times (checked by a branch on `journey.entries`). */
  entryCap?: number;
  /** A suggested cross-journey budget, from TimeframeCap or an application-wide daily cap. */
  budget?: Budget;
  /** Where the budget came from, for the report. */
  budgetSource?: string;
}

export interface SettingsContext {
  report: ImportReport;
  /** Paths into the journey export. */
  journeyPath: PinpointPath;
  /** Paths into the application settings export, when one was given. */
  settingsPath?: PinpointPath;
}

const DAYS: Readonly<Record<string, Weekday>> = {
  MONDAY: 'mon',
  TUESDAY: 'tue',
  WEDNESDAY: 'wed',
  THURSDAY: 'thu',
  FRIDAY: 'fri',
  SATURDAY: 'sat',
  SUNDAY: 'sun',
};
const WEEK: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * Zones for Pinpoint's UTC offsets that are not whole hours: each has that
 * offset all year, except Lord Howe (reported). Whole hours map to `Etc/GMT∓N`
 * (POSIX signs: UTC+05 is Etc/GMT-5).
 */
const FRACTIONAL_OFFSET_ZONES: Readonly<Record<string, string>> = {
  '+03:30': 'Asia/Tehran',
  '+04:30': 'Asia/Kabul',
  '+05:30': 'Asia/Kolkata',
  '+05:45': 'Asia/Kathmandu',
  '+06:30': 'Asia/Yangon',
  '+08:45': 'Australia/Eucla',
  '+09:30': 'Australia/Darwin',
  '+10:30': 'Australia/Lord_Howe',
  '-03:30': 'America/St_Johns',
  '-09:30': 'Pacific/Marquesas',
};
const ZONES_WITH_DAYLIGHT_SAVING = new Set(['Australia/Lord_Howe', 'America/St_Johns']);

/**
 * An IANA zone with the given Pinpoint UTC offset ("UTC", "UTC+05:30", "UTC-08"), or undefined.
 *
 * @example
 *   zoneForUtcOffset('UTC+05:30') // 'Asia/Kolkata'
 *   zoneForUtcOffset('UTC-08')    // 'Etc/GMT+8'
 */
export function zoneForUtcOffset(offset: string): string | undefined {
  const match = /^UTC(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/.exec(offset.trim());
  if (!match) return undefined;
  if (match[1] === undefined) return 'UTC';
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? '0');
  if (minutes === 0) {
    if (hours === 0) return 'UTC';
    if (hours > 14) return undefined;
    return `Etc/GMT${match[1] === '+' ? '-' : '+'}${hours}`;
  }
  return FRACTIONAL_OFFSET_ZONES[`${match[1]}${String(hours).padStart(2, '0')}:${match[3]}`];
}

/** "HH:MM" from Pinpoint's "HH:MM" (or "HH:MM:SS", or an ISO time "THH:MM"), or undefined. */
function clock(text: string | undefined, allow24 = false): string | undefined {
  if (text === undefined) return undefined;
  const match = /^T?(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(text.trim());
  if (!match) return undefined;
  const hhmm = `${match[1]}:${match[2]}`;
  return parseClock(hhmm, { allow24 }) === null ? undefined : hhmm;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether minute-of-day m is in [start, end), a range that may run past midnight. */
function inRange(m: number, start: string, end: string): boolean {
  const s = minutesOf(start);
  const e = minutesOf(end);
  return s < e ? m >= s && m < e : m >= s || m < e;
}

export function mapSettings(journey: Journey, application: ApplicationSettingsResource | undefined, context: SettingsContext, options: { budgetSupported: boolean }): MappedSettings {
  const mapped: MappedSettings = { timezone: 'UTC', reentry: 'never' };
  mapTimezone(journey, mapped, context);
  mapSendWindow(journey, application, mapped, context);
  mapLimits(journey, application, mapped, context, options);
  mapLeftovers(journey, context);
  return mapped;
}

function mapTimezone(journey: Journey, mapped: MappedSettings, { report, journeyPath }: SettingsContext): void {
  const schedule = journey.Schedule;
  const offset = schedule?.Timezone;
  if (offset !== undefined) {
    const zone = zoneForUtcOffset(offset);
    if (zone === undefined) {
      report.leftOut(journeyPath('Schedule', 'Timezone'), `"${offset}" is not a UTC offset Pinpoint uses; the workflow keeps the time zone UTC`, 'set settings.timezone to your customers\' zone');
    } else if (zone === 'UTC') {
      report.carried(journeyPath('Schedule', 'Timezone'), '$.settings.timezone', `"${offset}" is UTC`);
    } else {
      report.approximated(
        journeyPath('Schedule', 'Timezone'),
        '$.settings.timezone',
        `the offset "${offset}" becomes "${zone}", a zone with that offset${ZONES_WITH_DAYLIGHT_SAVING.has(zone) ? ' in standard time (it observes daylight saving)' : ' all year (no daylight saving)'}`,
        'if your customers live where clocks change (for example Europe/Berlin or America/New_York), use that zone instead',
      );
    }
    if (zone !== undefined) mapped.timezone = zone;
  }
  if (journey.LocalTime === true) {
    report.carried(
      journeyPath('LocalTime'),
      '$.settings.timezone',
      'each customer\'s local time counts: Waymark uses profile.timezone when a customer has one, else settings.timezone',
    );
  }
  for (const field of ['StartTime', 'EndTime'] as const) {
    const value = schedule?.[field];
    if (value === undefined) continue;
    report.leftOut(
      journeyPath('Schedule', field),
      `the journey ${field === 'StartTime' ? 'started' : 'ends'} at ${value}; a Waymark workflow runs from deployment until it is removed`,
      field === 'StartTime' ? 'deploy the workflow when it should start taking customers' : 'remove the workflow (or move it to workflows/archive/) when it should stop',
    );
  }
}

function mapSendWindow(journey: Journey, application: ApplicationSettingsResource | undefined, mapped: MappedSettings, context: SettingsContext): void {
  const { report, journeyPath } = context;
  const quiet = quietTime(journey, application, context);
  const openHours = journey.OpenHours?.EMAIL;
  const advanced = journey.SendingSchedule === true;
  let windowAt: string | undefined;

  for (const channel of Object.keys(journey.OpenHours ?? {}).filter((c) => c !== 'EMAIL')) {
    report.leftOut(journeyPath('OpenHours', channel), `open hours of the ${channel} channel: Waymark sends email only`);
  }
  if (openHours !== undefined && !advanced) {
    report.leftOut(journeyPath('OpenHours', 'EMAIL'), 'Pinpoint ignores open hours unless SendingSchedule is true, so they are not imported', 'if they were meant to apply, set settings.sendWindow by hand');
  }

  if (openHours !== undefined && advanced) {
    const window = windowFromOpenHours(openHours, journeyPath('OpenHours', 'EMAIL'), report);
    if (window) {
      mapped.sendWindow = window;
      windowAt = journeyPath('OpenHours', 'EMAIL');
      if (quiet && overlaps(window, quiet.window)) {
        report.approximated(
          quiet.at,
          '$.settings.sendWindow',
          `quiet time ${quiet.start}–${quiet.end} overlaps the open hours; Waymark has one window, the open hours ${window.start}–${window.end}`,
          'narrow settings.sendWindow if emails must not go during quiet time',
        );
      } else if (quiet) {
        report.carried(quiet.at, '$.settings.sendWindow', `quiet time ${quiet.start}–${quiet.end} falls outside the open hours, which the send window already keeps`);
      }
    }
  } else if (quiet) {
    mapped.sendWindow = quiet.window;
    windowAt = quiet.at;
    report.carried(
      quiet.at,
      '$.settings.sendWindow',
      `quiet time ${quiet.start}–${quiet.end}${quiet.fromApplication ? ' (the application\'s default)' : ''} becomes the send window ${quiet.window.start}–${quiet.window.end}`,
    );
  }

  if (windowAt !== undefined) {
    report.approximated(
      windowAt,
      '$.settings.sendWindow',
      'Pinpoint applied the window in the endpoint\'s time zone (Demographic.Timezone); Waymark uses the customer\'s profile.timezone, else settings.timezone',
      'send profile.timezone (an IANA name such as "Europe/Paris") in your events',
    );
    if (journey.WaitForQuietTime === true) {
      report.carried(journeyPath('WaitForQuietTime'), '$.settings.sendWindow', 'an email due outside the window waits for it to open, as in Waymark');
    } else {
      report.approximated(
        journeyPath('WaitForQuietTime'),
        '$.settings.sendWindow',
        `WaitForQuietTime is ${journey.WaitForQuietTime === false ? 'false' : 'not set'}: Pinpoint did not send an email due in quiet time; Waymark holds it until the window opens and sends it then`,
        'if late emails are unwanted, put a branch or a shorter wait before time-critical emails',
      );
    }
  }

  const closed = journey.ClosedDays ?? {};
  for (const [channel, rules] of Object.entries(closed)) {
    if (channel !== 'EMAIL') {
      report.leftOut(journeyPath('ClosedDays', channel), `closed days of the ${channel} channel: Waymark sends email only`);
      continue;
    }
    rules.forEach((rule, i) => {
      report.leftOut(
        journeyPath('ClosedDays', 'EMAIL', i),
        `closed day "${rule.Name ?? `#${i + 1}`}" (${rule.StartDateTime ?? '?'} to ${rule.EndDateTime ?? '?'}): the workflow language has no blackout dates${advanced ? '' : ' (and Pinpoint ignored it without SendingSchedule)'}`,
        'before that date, deploy a version whose send window excludes it, or hold emails with a wait "at" its end',
      );
    });
  }
}

interface QuietInterval {
  at: string;
  start: string;
  end: string;
  window: SendWindow;
  fromApplication: boolean;
}

function quietTime(journey: Journey, application: ApplicationSettingsResource | undefined, { report, journeyPath, settingsPath }: SettingsContext): QuietInterval | undefined {
  const read = (value: QuietTime | undefined, at: string, fromApplication: boolean): QuietInterval | undefined => {
    if (value === undefined || (value.Start === undefined && value.End === undefined)) return undefined;
    const start = clock(value.Start);
    const end = clock(value.End);
    if (start === undefined || end === undefined) {
      report.leftOut(at, `quiet time "${value.Start}"–"${value.End}" is not two "HH:MM" times; not imported`, 'set settings.sendWindow by hand');
      return undefined;
    }
    if (start === end) {
      report.leftOut(at, `quiet time starts and ends at ${start}: it never applies`);
      return undefined;
    }
    // Quiet from Start to End: emails may go from End to Start.
    return { at, start, end, window: { start: end, end: start === '00:00' ? '24:00' : start }, fromApplication };
  };
  const own = read(journey.QuietTime, journeyPath('QuietTime'), false);
  if (own) return own;
  if (application?.QuietTime && settingsPath) return read(application.QuietTime, settingsPath('QuietTime'), true);
  return undefined;
}

function windowFromOpenHours(days: Record<string, OpenHoursRule[]>, at: string, report: ImportReport): SendWindow | undefined {
  const perDay = new Map<Weekday, { start: string; end: string }>();
  for (const [day, rules] of Object.entries(days)) {
    const weekday = DAYS[day];
    if (weekday === undefined) {
      report.leftOut(`${at}.${day}`, `"${day}" is not a day of the week; left out`);
      continue;
    }
    const ranges = rules.flatMap((rule, i) => {
      const start = clock(rule.StartTime);
      const end = clock(rule.EndTime, true);
      if (start === undefined || end === undefined || start === end) {
        report.leftOut(`${at}.${day}[${i}]`, `open hours "${rule.StartTime}"–"${rule.EndTime}" are not two different "HH:MM" times; left out`);
        return [];
      }
      return [{ start, end }];
    });
    if (ranges.length === 0) continue;
    if (ranges.length > 1) {
      const start = ranges.map((r) => r.start).sort()[0]!;
      const end = ranges.map((r) => r.end).sort().at(-1)!;
      report.approximated(
        `${at}.${day}`,
        '$.settings.sendWindow',
        `${ranges.length} open-hour ranges on ${day} (${ranges.map((r) => `${r.start}–${r.end}`).join(', ')}) become one, ${start}–${end}: emails may also go in the gaps`,
        'if the gaps matter, keep one range',
      );
      perDay.set(weekday, { start, end });
    } else {
      perDay.set(weekday, ranges[0]!);
    }
  }
  if (perDay.size === 0) return undefined;
  const counts = new Map<string, number>();
  for (const { start, end } of perDay.values()) counts.set(`${start}-${end}`, (counts.get(`${start}-${end}`) ?? 0) + 1);
  const [common] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
  const [start, end] = common.split('-') as [string, string];
  const openDays = WEEK.filter((d) => perDay.has(d));
  const window: SendWindow = { ...(openDays.length === 7 ? {} : { days: openDays }), start, end };
  if (counts.size > 1) {
    const others = [...perDay.entries()].filter(([, r]) => `${r.start}-${r.end}` !== common).map(([d, r]) => `${d} ${r.start}–${r.end}`);
    report.approximated(at, '$.settings.sendWindow', `open hours differ by day; the window is ${start}–${end} on ${openDays.join(', ')}, where Pinpoint had ${others.join(', ')}`, 'Waymark has one window for all days: check it suits those days');
  } else {
    report.carried(at, '$.settings.sendWindow', `open hours ${start}–${end} on ${openDays.join(', ')}`);
  }
  return window;
}

function overlaps(window: SendWindow, quiet: SendWindow): boolean {
  // `quiet` here is the window outside quiet time; quiet time itself is its complement.
  for (let m = 0; m < 1440; m++) if (inRange(m, window.start, window.end === '24:00' ? '00:00' : window.end) && !inRange(m, quiet.start, quiet.end === '24:00' ? '00:00' : quiet.end)) return true;
  return false;
}

function mapLimits(journey: Journey, application: ApplicationSettingsResource | undefined, mapped: MappedSettings, context: SettingsContext, options: { budgetSupported: boolean }): void {
  const { report, journeyPath, settingsPath } = context;
  const limits = journey.Limits ?? {};
  const appLimits = application?.JourneyLimits ?? {};
  const appPath = settingsPath ?? journeyPath;

  // DailyCap: messages of this journey to one participant in 24 hours.
  if (limits.DailyCap !== undefined) {
    if (limits.DailyCap > 0) {
      mapped.frequencyCap = { max: limits.DailyCap, per: 'P1D' };
      report.carried(journeyPath('Limits', 'DailyCap'), '$.settings.frequencyCap', `at most ${limits.DailyCap} email${limits.DailyCap === 1 ? '' : 's'} of this journey per customer in any 24 hours; a capped email waits until it may go`);
    } else {
      report.carried(journeyPath('Limits', 'DailyCap'), undefined, 'DailyCap 0: no daily cap');
    }
  }

  // Cross-journey limits: one budget per deployment.
  const candidates: Array<{ at: string; budget: Budget; what: string }> = [];
  const timeframe = (cap: { Cap?: number | undefined; Days?: number | undefined } | undefined, at: string, what: string) => {
    if (cap === undefined) return;
    if (!cap.Cap || !cap.Days) {
      report.carried(at, undefined, `${what}: ${!cap.Cap ? 'Cap' : 'Days'} 0, no limit`);
      return;
    }
    candidates.push({ at, budget: { max: cap.Cap, per: `P${cap.Days}D` }, what });
  };
  timeframe(limits.TimeframeCap, journeyPath('Limits', 'TimeframeCap'), 'the journey\'s TimeframeCap');
  if (limits.TimeframeCap === undefined && settingsPath) timeframe(appLimits.TimeframeCap, appPath('JourneyLimits', 'TimeframeCap'), 'the application\'s TimeframeCap');
  if (settingsPath && appLimits.DailyCap !== undefined && appLimits.DailyCap > 0) {
    candidates.push({ at: appPath('JourneyLimits', 'DailyCap'), budget: { max: appLimits.DailyCap, per: 'P1D' }, what: 'the application\'s daily cap for all journeys' });
  }
  if (settingsPath && application?.Limits?.Daily !== undefined && application.Limits.Daily > 0) {
    candidates.push({ at: appPath('Limits', 'Daily'), budget: { max: application.Limits.Daily, per: 'P1D' }, what: 'the application\'s daily limit for campaigns and journeys' });
  }
  const [chosen, ...others] = candidates;
  if (chosen) {
    const text = JSON.stringify({ budget: chosen.budget });
    if (options.budgetSupported) {
      mapped.budget = chosen.budget;
      mapped.budgetSource = chosen.at;
      report.carried(chosen.at, 'settings.json', `${chosen.what}: at most ${chosen.budget.max} emails per customer from all workflows in any ${chosen.budget.per}: ${text}`);
    } else {
      report.leftOut(
        chosen.at,
        `${chosen.what} limits emails across journeys (${chosen.budget.max} per ${chosen.budget.per}); this version of Waymark has no cross-journey budget yet`,
        `when it does (WORKFLOWS.md Revision 2), put ${text} in workflows/settings.json; until then, a frequencyCap per workflow is the closest`,
      );
    }
    for (const other of others) {
      report.leftOut(other.at, `${other.what} (${other.budget.max} per ${other.budget.per}) is a second cross-journey limit; Waymark has one budget, taken from ${chosen.at}`, 'pick the budget that matters most');
    }
  }

  for (const [cap, at] of [
    [limits.TotalCap, journeyPath('Limits', 'TotalCap')],
    [limits.TotalCap === undefined ? appLimits.TotalCap : undefined, appPath('JourneyLimits', 'TotalCap')],
  ] as const) {
    if (cap === undefined) continue;
    if (cap === 0) report.carried(at, undefined, 'TotalCap 0: no limit');
    else report.leftOut(at, `at most ${cap} messages from this journey to one customer, ever: Waymark has no lifetime cap`, 'a run sends at most one email per email step; with re-entry, limit entries (EndpointReentryCap) instead');
  }

  const perSecond = limits.MessagesPerSecond ?? application?.Limits?.MessagesPerSecond;
  if (perSecond !== undefined) {
    const at = limits.MessagesPerSecond !== undefined ? journeyPath('Limits', 'MessagesPerSecond') : appPath('Limits', 'MessagesPerSecond');
    report.leftOut(at, `${perSecond} messages per second is a property of the deployment, not of a workflow`, `deploy with -c sesMaxSendRate=${perSecond} (within your SES account's send rate)`);
  }

  mapReentry(limits.EndpointReentryCap, limits.EndpointReentryInterval, mapped, context);
}

function mapReentry(cap: number | undefined, interval: string | undefined, mapped: MappedSettings, { report, journeyPath }: SettingsContext): void {
  const intervalAt = journeyPath('Limits', 'EndpointReentryInterval');
  const capAt = journeyPath('Limits', 'EndpointReentryCap');
  let after: string | undefined;
  if (interval !== undefined) {
    if (parseDuration(interval) === null) report.leftOut(intervalAt, `"${interval}" is not an ISO 8601 duration; left out`, 'set entry.reentry by hand');
    else after = interval;
  }
  const reentryAfter = (): z.input<typeof Reentry> => (after === undefined ? 'after-exit' : { after });
  const intervalNote = after === undefined ? 'once their previous run is over' : `once their previous run is over and ${after} has passed since they last entered`;

  if (cap === 1) {
    mapped.reentry = 'never';
    report.carried(capAt, '$.entry.reentry', 'a customer enters once: "never"');
    if (after !== undefined) report.carried(intervalAt, undefined, 'a re-entry interval has no effect when a customer enters once');
    return;
  }
  if (cap === undefined) {
    if (after === undefined) {
      report.approximated(capAt, '$.entry.reentry', 'no EndpointReentryCap in the export: the workflow uses Waymark\'s default, "never" (a customer enters once)', 'check the journey\'s re-entry setting in Pinpoint and set entry.reentry');
      return;
    }
    mapped.reentry = reentryAfter();
    report.approximated(intervalAt, '$.entry.reentry', `customers may enter again ${intervalNote} (no EndpointReentryCap, so as often as that allows)`, 'check the journey\'s re-entry cap in Pinpoint');
    return;
  }
  mapped.reentry = reentryAfter();
  if (cap === 0) {
    report.carried(capAt, '$.entry.reentry', `no limit on entries: customers may enter again ${intervalNote}`);
  } else {
    mapped.entryCap = cap;
    report.carried(capAt, '$.steps.entry-cap', `at most ${cap} entries: customers may enter again ${intervalNote}; a first step ends the run of a customer on their entry number ${cap + 1} or later`);
  }
  if (after !== undefined) {
    report.approximated(intervalAt, '$.entry.reentry', 'Waymark counts the interval from the previous entry, and only once that run is over', 'check this suits the journey');
  }
}

function mapLeftovers(journey: Journey, { report, journeyPath }: SettingsContext): void {
  if (journey.RefreshFrequency !== undefined || journey.RefreshOnSegmentUpdate !== undefined) {
    report.leftOut(journeyPath(journey.RefreshFrequency !== undefined ? 'RefreshFrequency' : 'RefreshOnSegmentUpdate'), 'segment refreshes: in Waymark, customers enter by events as they happen', 'send an "Audience Joined" event when a customer joins the segment');
  }
  if (journey.TimezoneEstimationMethods !== undefined && journey.TimezoneEstimationMethods.length > 0) {
    report.leftOut(journeyPath('TimezoneEstimationMethods'), `time zones estimated from ${journey.TimezoneEstimationMethods.join(' and ')}: Waymark takes the time zone from profile.timezone`, 'send profile.timezone with your events');
  }
  if (journey.JourneyChannelSettings !== undefined) {
    report.leftOut(journeyPath('JourneyChannelSettings'), 'Amazon Connect campaign settings: Waymark sends email only');
  }
  if (journey.State !== undefined) {
    report.carried(journeyPath('State'), undefined, `the journey was ${journey.State}; the imported workflow takes customers once deployed`);
  }
}
