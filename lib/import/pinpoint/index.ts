/**
 * `waymark import pinpoint`, without the files: one Pinpoint journey export,
 * its email templates and the application settings in; a workflow, its
 * content items and a report out. Pure: the command reads and writes.
 *
 * @example
 *   const result = importPinpointJourney({ journey, templates, identity: 'user', existingContent: [], budgetSupported: false });
 *   if (result.workflow) writeFileSync(`workflows/${result.id}.json`, JSON.stringify(result.workflow, null, 2));
 *   console.log(formatReport(result.report.entries));
 */
import type { EventPattern } from '../../engine/patterns';
import type { ContentItem } from '../../engine/schema';
import { eventPattern } from './conditions';
import { type ImportedStep, mapActivities } from './journey';
import type { JourneyExport, SettingsExport, TemplateExport } from './read-exports';
import { ImportReport } from './report';
import { type Budget, mapSettings } from './settings';
import { contentItemFromTemplate, type CustomerIdentity } from './templates';

export { formatReport, ImportReport, type ReportEntry } from './report';
export type { CustomerIdentity } from './templates';

export interface PinpointImportInput {
  journey: JourneyExport;
  templates: readonly TemplateExport[];
  settings?: SettingsExport;
  /** The workflow id; default: the journey's Name, slugified. */
  id?: string;
  /** The sender; default: the EMAIL activities' MessageConfig.FromAddress. */
  from?: string;
  /** Which Pinpoint id is the customer: the user id (default) or the endpoint id. */
  identity: CustomerIdentity;
  /** Content items already in the catalogue ("content/<file>.json"): their ids are taken, identical items are reused; the workflow's own file (a previous import) is replaced. */
  existingContent: ReadonlyArray<{ item: ContentItem; file: string }>;
  /** Whether the workflow language has the cross-journey budget (workflows/settings.json) yet. */
  budgetSupported: boolean;
  /** Add "$schema": "./workflow.schema.json" (for a workflows directory). */
  schemaRef?: boolean;
}

export interface WorkflowDocument {
  $schema?: string;
  id: string;
  version: number;
  name: string;
  description: string;
  entry: { on: EventPattern; reentry: unknown };
  settings: Record<string, unknown>;
  start: string;
  steps: Record<string, ImportedStep>;
}

export interface PinpointImport {
  id: string;
  /** Undefined when the report has errors. */
  workflow: WorkflowDocument | undefined;
  /** The content items to write (items identical to existing ones are not repeated). */
  content: ContentItem[];
  /** A suggested cross-journey budget for workflows/settings.json. */
  budget?: Budget;
  report: ImportReport;
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * A slug for a Pinpoint name: camelCase and separators become "-", at most `max` characters.
 *
 * @example slugify('WelcomeSeries_2026') // 'welcome-series-2026'
 */
export function slugify(text: string, max = 64): string {
  const slug = text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, max).replace(/-+$/, '');
}

export function importPinpointJourney(input: PinpointImportInput): PinpointImport {
  const report = new ImportReport();
  const { journey, path } = input.journey;

  const id = workflowId(input, report);
  const settings = mapSettings(journey, input.settings?.settings, { report, journeyPath: path, ...(input.settings ? { settingsPath: input.settings.path } : {}) }, { budgetSupported: input.budgetSupported });
  const on = entryPattern(input, report);

  const content: ContentItem[] = [];
  const contentIds = new Map<string, string | undefined>();
  // A re-import replaces its own content file: the items in it are not taken.
  const ownFile = `content/pinpoint-${id ?? ''}.json`;
  const taken = new Map(input.existingContent.filter((e) => e.file !== ownFile).map(({ item, file }) => [item.id, { item, file }]));
  const contentIdFor = (name: string, version: string | undefined, at: string, activity: string): string | undefined => {
    const key = `${name}\u0000${version ?? ''}`;
    if (contentIds.has(key)) return contentIds.get(key);
    const resolved = templateContent(input, name, version, at, activity, id ?? 'pinpoint', taken, content, report);
    contentIds.set(key, resolved);
    return resolved;
  };
  const mapped = mapActivities(journey.StartActivity, journey.Activities, { report, path, contentIdFor, ...(settings.entryCap === undefined ? {} : { entryCap: settings.entryCap }) });
  // Without every activity, whether any names a sender is unknown: say nothing about it.
  const from = mapped.fromAddresses === undefined ? undefined : sender(input, mapped.fromAddresses, report);

  report.carried(
    path('StartCondition'),
    'detail.customerId',
    input.identity === 'user'
      ? 'each participant is a customer: send the Pinpoint user id (User.UserId) as detail.customerId'
      : 'each participant is a customer: send the Pinpoint endpoint id as detail.customerId',
  );

  if (report.errors.length > 0 || id === undefined || on === undefined || mapped.start === undefined || from === undefined) {
    return { id: id ?? '', workflow: undefined, content: [], report };
  }
  const workflow: WorkflowDocument = {
    ...(input.schemaRef ? { $schema: './workflow.schema.json' } : {}),
    id,
    version: 1,
    name: (journey.Name ?? id).slice(0, 200),
    description: `Imported from the Amazon Pinpoint journey "${journey.Name ?? id}"${journey.Id ? ` (${journey.Id})` : ''} with waymark import pinpoint.`,
    entry: { on, reentry: settings.reentry },
    settings: {
      from,
      timezone: settings.timezone,
      ...(settings.sendWindow ? { sendWindow: settings.sendWindow } : {}),
      ...(settings.frequencyCap ? { frequencyCap: settings.frequencyCap } : {}),
    },
    start: mapped.start,
    steps: mapped.steps,
  };
  return { id, workflow, content, ...(settings.budget ? { budget: settings.budget } : {}), report };
}

function workflowId(input: PinpointImportInput, report: ImportReport): string | undefined {
  const { journey, path } = input.journey;
  if (input.id !== undefined) {
    if (SLUG.test(input.id) && input.id.length <= 64) return input.id;
    report.error('--id', `"${input.id}" is not a workflow id: lower-case letters, digits and single "-" between them, at most 64`);
    return undefined;
  }
  const fromName = journey.Name === undefined ? '' : slugify(journey.Name);
  if (fromName !== '') return fromName;
  const fromId = journey.Id === undefined ? '' : slugify(`pinpoint-${journey.Id}`);
  if (fromId !== '') {
    report.approximated(path('Name'), '$.id', `the journey has no usable Name; the id "${fromId}" comes from its Id`, 'pass --id');
    return fromId;
  }
  report.error(path('Name'), 'required: the journey name (the workflow id is made from it)', 'pass --id');
  return undefined;
}

function entryPattern(input: PinpointImportInput, report: ImportReport): EventPattern | undefined {
  const { journey, path } = input.journey;
  const start = journey.StartCondition;
  if (start === undefined) {
    report.error(path('StartCondition'), 'required: what makes a customer enter (an EventStartCondition or a SegmentStartCondition)');
    return undefined;
  }
  if (start.EventStartCondition) {
    const at = path('StartCondition', 'EventStartCondition', 'EventFilter', 'Dimensions');
    const pattern = eventPattern(start.EventStartCondition.EventFilter?.Dimensions, at, { report });
    if (start.EventStartCondition.SegmentId !== undefined) {
      report.leftOut(
        path('StartCondition', 'EventStartCondition', 'SegmentId'),
        `entry was limited to members of the segment "${start.EventStartCondition.SegmentId}": Waymark has no segments, so anyone sending the event enters`,
        'have the producer send the event only for those customers, or branch on a profile attribute in the first step',
      );
    }
    if (pattern === undefined) {
      report.error(at, 'the event filter has nothing Waymark can match (no EventType, attributes or metrics), so the journey would take every event');
      return undefined;
    }
    report.carried(at, '$.entry.on', `customers enter on ${describeEntry(pattern)}`);
    return pattern;
  }
  if (start.SegmentStartCondition) {
    const segment = start.SegmentStartCondition.SegmentId;
    report.approximated(
      path('StartCondition', 'SegmentStartCondition'),
      '$.entry.on',
      `customers entered as members of the segment "${segment}"; in Waymark they enter on an "Audience Joined" event for the audience "${segment}"`,
      `export the segment (aws pinpoint create-export-job) and send one event per customer: {"source": "waymark.audience", "detail-type": "Audience Joined", "detail": {"customerId", "audience": "${segment}", "profile": {...}}} (rename the audience in $.entry.on if you like)`,
    );
    return { 'detail-type': ['Audience Joined'], detail: { audience: [segment] } };
  }
  report.error(path('StartCondition'), 'needs an EventStartCondition or a SegmentStartCondition');
  return undefined;
}

function describeEntry(pattern: EventPattern): string {
  const types = pattern['detail-type'];
  const named = Array.isArray(types) && types.every((t) => typeof t === 'string') ? `the event${types.length === 1 ? '' : 's'} ${types.map((t) => `"${t}"`).join(', ')}` : 'events';
  const detail = (pattern.detail ?? {}) as Record<string, Record<string, unknown>>;
  const fields = ['attributes', 'metrics'].flatMap((group) => Object.keys(detail[group] ?? {}).map((name) => `detail.${group}.${name}`));
  return fields.length === 0 ? named : `${named} with ${fields.join(', ')} as in Pinpoint's filter`;
}

function sender(input: PinpointImportInput, found: ReadonlyArray<{ address: string; at: string }>, report: ImportReport): string | undefined {
  const { path } = input.journey;
  const distinct = [...new Set(found.map((f) => f.address))];
  if (input.from !== undefined) {
    report.carried('--from', '$.settings.from', `the sender is ${input.from}${distinct.length > 0 ? ` (the journey had ${distinct.join(', ')})` : ''}`);
    return input.from;
  }
  if (distinct.length === 0) {
    report.error(
      path('Activities', '*', 'EMAIL', 'MessageConfig', 'FromAddress'),
      'no EMAIL activity names its sender (Pinpoint used the email channel\'s FromAddress, which the journey export does not include)',
      'pass --from "Name <address@your-domain>" (a verified SES identity)',
    );
    return undefined;
  }
  report.carried(found[0]!.at, '$.settings.from', `the sender is ${distinct[0]}`);
  if (distinct.length > 1) {
    const other = found.find((f) => f.address !== distinct[0])!;
    report.approximated(other.at, '$.settings.from', `the journey sent from ${distinct.length} addresses (${distinct.join(', ')}); a workflow has one sender, ${distinct[0]}`, 'split the journey, or accept one sender');
  }
  return distinct[0];
}

function templateContent(
  input: PinpointImportInput,
  name: string,
  version: string | undefined,
  at: string,
  activity: string,
  workflowId: string,
  taken: Map<string, { item: ContentItem; file: string }>,
  content: ContentItem[],
  report: ImportReport,
): string | undefined {
  const candidates = input.templates.filter((t) => t.template.TemplateName === name);
  if (candidates.length === 0) {
    report.error(
      at,
      `no export of the email template "${name}"${input.templates.length === 0 ? ' (no --templates given)' : ''}`,
      `aws pinpoint get-email-template --template-name ${name}${version === undefined ? '' : ` --version ${version}`} > templates/${name}.json, then pass --templates templates`,
    );
    return undefined;
  }
  const exported = candidates.find((t) => version !== undefined && t.template.Version === version) ?? candidates[0]!;
  const exportedVersion = exported.template.Version;
  if (version !== undefined && exportedVersion !== undefined && exportedVersion !== version) {
    report.approximated(at, undefined, `the activity sends version ${version} of "${name}"; the export ${exported.file} is version ${exportedVersion}, which is imported`, `aws pinpoint get-email-template --template-name ${name} --version ${version}`, activity);
  } else {
    report.carried(at, undefined, `template "${name}" ${version === undefined ? `(the active version${exportedVersion === undefined ? '' : `, ${exportedVersion} in the export`})` : `version ${version}`}, from ${exported.file}`, activity);
  }

  const file = `content/pinpoint-${workflowId}.json`;
  const item = contentItemFromTemplate(exported.template, { report, file: exported.file, base: exported.base, identity: input.identity }, file);
  if (item === undefined) return undefined;
  const base = slugify(name) || 'pinpoint-template';
  let id = base;
  for (let n = 2; ; n++) {
    const existing = taken.get(id);
    if (existing === undefined) {
      content.push({ id, ...item });
      taken.set(id, { item: { id, ...item }, file });
      if (id !== base) report.approximated(at, `${file}: ${id}`, `the content id "${base}" is taken by a different item; this template becomes "${id}"`, undefined, activity);
      return id;
    }
    if (sameContent(existing.item, item)) {
      if (existing.file !== file) report.carried(at, existing.file, `the content item "${id}" in ${existing.file} is this template already; reused`, activity);
      return id;
    }
    id = slugify(n === 2 ? `${base}-${workflowId}` : `${base}-${workflowId}-${n - 1}`);
  }
}

function sameContent(a: Omit<ContentItem, 'id'>, b: Omit<ContentItem, 'id'>): boolean {
  return a.kind === b.kind && a.subject === b.subject && a.html === b.html && a.text === b.text;
}
