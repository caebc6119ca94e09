/**
 * Reading what the AWS CLI prints: `aws pinpoint get-journey` (`{"JourneyResponse": {...}}`,
 * or the bare journey, as `create-journey` takes it), `get-email-template`
 * (`{"EmailTemplateResponse": {...}}`) and `get-application-settings`
 * (`{"ApplicationSettingsResource": {...}}`). A file that is not one of these
 * is an error naming the file and what was expected.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { describeJsonError } from '../../runtime/workflow-files';
import { ApplicationSettingsResource, describeIssue, EmailTemplateResponse, Journey } from './model';
import { type ImportReport, type PinpointPath, pinpointPath } from './report';

export interface JourneyExport {
  file: string;
  journey: Journey;
  /** Paths into the file: "JourneyResponse.Activities…" or "Activities…" for a bare journey. */
  path: PinpointPath;
}

export interface TemplateExport {
  file: string;
  template: EmailTemplateResponse;
  /** "EmailTemplateResponse", or "" for a bare template. */
  base: string;
}

export interface SettingsExport {
  file: string;
  settings: ApplicationSettingsResource;
  path: PinpointPath;
}

type Json = { ok: true; value: unknown } | { ok: false; message: string };

/** A file's JSON, or why it cannot be read. */
export function readJsonFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read the file: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: describeJsonError(text, error as Error) };
  }
}

/** The JSON files of a templates directory (or the one file given), in name order. */
export function templateFiles(path: string): string[] {
  if (!existsSync(path)) return [path];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(path, name));
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function unwrap(value: unknown, wrapper: string): { inner: unknown; base: string } {
  return isObject(value) && wrapper in value ? { inner: value[wrapper], base: wrapper } : { inner: value, base: '' };
}

/** Shape errors, each at its path; `file` prefixes paths into a file other than the journey's. */
function shapeErrors(issues: z.core.$ZodIssue[], path: PinpointPath, report: ImportReport, file?: string): void {
  for (const issue of issues) {
    const at = path(...issue.path.map(String)) || '$';
    report.error(file === undefined ? at : `${file}: ${at}`, describeIssue(issue));
  }
}

/** A journey export, or undefined (reported). */
export function readJourneyExport(value: unknown, file: string, report: ImportReport): JourneyExport | undefined {
  const { inner, base } = unwrap(value, 'JourneyResponse');
  const looksLikeJourney = isObject(inner) && ('Activities' in inner || 'StartActivity' in inner || 'StartCondition' in inner || 'Name' in inner);
  if (!looksLikeJourney) {
    report.error(
      `${file}: ${base || '$'}`,
      'not a Pinpoint journey: expected the output of `aws pinpoint get-journey` ({"JourneyResponse": {...}}) or a journey object with Name, StartActivity and Activities',
    );
    return undefined;
  }
  const path = pinpointPath(base);
  const parsed = Journey.safeParse(inner);
  if (!parsed.success) {
    shapeErrors(parsed.error.issues, path, report);
    return undefined;
  }
  return { file, journey: parsed.data, path };
}

/** An email template export, or undefined (reported). */
export function readTemplateExport(value: unknown, file: string, report: ImportReport): TemplateExport | undefined {
  const { inner, base } = unwrap(value, 'EmailTemplateResponse');
  if (!isObject(inner) || !('TemplateName' in inner)) {
    report.error(`${file}: ${base || '$'}`, 'not a Pinpoint email template: expected the output of `aws pinpoint get-email-template` ({"EmailTemplateResponse": {...}})');
    return undefined;
  }
  const parsed = EmailTemplateResponse.safeParse(inner);
  if (!parsed.success) {
    shapeErrors(parsed.error.issues, pinpointPath(base), report, file);
    return undefined;
  }
  if (parsed.data.TemplateType !== undefined && parsed.data.TemplateType !== 'EMAIL') {
    report.error(`${file}: ${pinpointPath(base)('TemplateType')}`, `"${parsed.data.TemplateType}" is not an email template`);
    return undefined;
  }
  return { file, template: parsed.data, base };
}

/** An application settings export, or undefined (reported). */
export function readSettingsExport(value: unknown, file: string, report: ImportReport): SettingsExport | undefined {
  const { inner, base } = unwrap(value, 'ApplicationSettingsResource');
  if (!isObject(inner) || !('ApplicationId' in inner || 'JourneyLimits' in inner || 'QuietTime' in inner || 'Limits' in inner)) {
    report.error(`${file}: ${base || '$'}`, 'not Pinpoint application settings: expected the output of `aws pinpoint get-application-settings` ({"ApplicationSettingsResource": {...}})');
    return undefined;
  }
  const path = pinpointPath(base);
  const parsed = ApplicationSettingsResource.safeParse(inner);
  if (!parsed.success) {
    shapeErrors(parsed.error.issues, path, report, file);
    return undefined;
  }
  return { file, settings: parsed.data, path: (...segments) => `${file}: ${path(...segments)}` };
}
