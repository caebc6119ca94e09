/**
 * A template's syntax problems, found when workflows are validated (and when Pinpoint templates are
 * imported) with the engines emails are rendered with, so what validates renders.
 */
import { liquidEngines } from './liquid-engines';

const FILE_TAGS = /\{%-?\s*(include|render|layout)\b/;

/** Syntax problems in one template (empty when it parses); file includes are refused here, not at send time. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  const fileTag = FILE_TAGS.exec(template);
  if (fileTag) problems.push(`templates cannot use {% ${fileTag[1]} %}: content travels as data, put the text in the item itself`);
  try {
    liquidEngines.htmlLiquid.parse(template);
  } catch (error) {
    problems.push(`Liquid syntax error: ${(error as Error).message.split('\n')[0]}`);
  }
  return problems;
}
