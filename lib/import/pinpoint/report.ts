/**
 * The import report: every construct of a Pinpoint export, with what it became
 * in Waymark, carried over, approximated, left out, or an error that stops the
 * import. Entries name the Pinpoint path (`JourneyResponse.Activities.welcome.EMAIL`)
 * and, when something is needed by hand, the suggested manual step.
 */

export type Outcome = 'carried' | 'approximated' | 'left-out' | 'error';

export interface ReportEntry {
  outcome: Outcome;
  /** Where in the export, e.g. "JourneyResponse.Limits.DailyCap" or "welcome-email.json: EmailTemplateResponse.HtmlPart". */
  pinpoint: string;
  /** What it became, e.g. "$.settings.frequencyCap" or "content/pinpoint-welcome.json". */
  waymark?: string;
  note: string;
  /** What to check or do by hand. */
  manual?: string;
  /** The Pinpoint activity the entry is about, so entries of an activity that is dropped later can be replaced. */
  activity?: string;
}

/** A dotted Pinpoint path below a base ("JourneyResponse" for `get-journey` output, nothing for a bare journey). */
export type PinpointPath = (...segments: (string | number)[]) => string;

export function pinpointPath(base: string): PinpointPath {
  return (...segments) => [base, ...segments.map(String)].filter((s) => s !== '').join('.');
}

export class ImportReport {
  readonly entries: ReportEntry[] = [];

  add(entry: ReportEntry): void {
    this.entries.push(entry);
  }

  carried(pinpoint: string, waymark: string | undefined, note: string, activity?: string): void {
    this.add({ outcome: 'carried', pinpoint, ...(waymark === undefined ? {} : { waymark }), note, ...(activity === undefined ? {} : { activity }) });
  }

  approximated(pinpoint: string, waymark: string | undefined, note: string, manual?: string, activity?: string): void {
    this.add({ outcome: 'approximated', pinpoint, ...(waymark === undefined ? {} : { waymark }), note, ...(manual === undefined ? {} : { manual }), ...(activity === undefined ? {} : { activity }) });
  }

  leftOut(pinpoint: string, note: string, manual?: string, activity?: string): void {
    this.add({ outcome: 'left-out', pinpoint, note, ...(manual === undefined ? {} : { manual }), ...(activity === undefined ? {} : { activity }) });
  }

  error(pinpoint: string, note: string, manual?: string): void {
    this.add({ outcome: 'error', pinpoint, note, ...(manual === undefined ? {} : { manual }) });
  }

  /** Drops every entry about an activity (it was not carried after all). */
  forgetActivity(activity: string): void {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.activity === activity) this.entries.splice(i, 1);
  }

  get errors(): ReportEntry[] {
    return this.entries.filter((e) => e.outcome === 'error');
  }

  count(outcome: Outcome): number {
    return this.entries.filter((e) => e.outcome === outcome).length;
  }
}

export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

const plain: Palette = { bold: (t) => t, dim: (t) => t, green: (t) => t, yellow: (t) => t, red: (t) => t };

const HEADINGS: Record<Outcome, string> = {
  error: 'Errors (nothing was written)',
  'left-out': 'Left out (no equivalent in Waymark)',
  approximated: 'Approximated (check by hand)',
  carried: 'Carried over',
};

/**
 * The report as text, most urgent first: errors, left out, approximated,
 * carried. Each entry: the Pinpoint path, what it became, why, and the manual step.
 *
 * @example
 *   formatReport(report.entries)
 *   // Approximated (check by hand)
 *   //   ~ JourneyResponse.QuietTime → $.settings.sendWindow
 *   //       quiet time 22:00–07:00 becomes the send window 07:00–22:00
 *   //       → check: ...
 */
export function formatReport(entries: readonly ReportEntry[], palette: Palette = plain, options: { errorsWritten?: boolean } = {}): string {
  const lines: string[] = [];
  const marks: Record<Outcome, string> = { error: palette.red('✖'), 'left-out': palette.yellow('−'), approximated: palette.yellow('~'), carried: palette.green('✔') };
  for (const outcome of ['error', 'left-out', 'approximated', 'carried'] as const) {
    const group = entries.filter((e) => e.outcome === outcome);
    if (group.length === 0) continue;
    const heading = outcome === 'error' && options.errorsWritten ? 'Errors' : HEADINGS[outcome];
    lines.push(palette.bold(`${heading} (${group.length})`));
    for (const entry of group) {
      lines.push(`  ${marks[outcome]} ${entry.pinpoint}${entry.waymark === undefined ? '' : ` ${palette.dim('→')} ${entry.waymark}`}`);
      lines.push(`      ${entry.note}`);
      if (entry.manual !== undefined) lines.push(`      ${palette.dim('→ by hand:')} ${entry.manual}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
