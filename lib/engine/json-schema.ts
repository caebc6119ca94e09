/**
 * The JSON Schema editors use to complete and check workflow files
 * (`"$schema": "./workflow.schema.json"`), generated from the zod schema so
 * the two never disagree. Graph rules are not expressible here: `waymark
 * validate` checks those.
 */
import { z } from 'zod';
import { ProjectSettings, Workflow } from './schema';

export function workflowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Workflow, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://waymark.dev/schemas/workflow.schema.json',
    title: 'Waymark workflow',
    description: 'A customer journey: entry, goal, exits, settings and steps. See README.md, "The workflow language".',
  };
}

export function workflowJsonSchemaText(): string {
  return `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`;
}

/** `workflows/settings.json` (`"$schema": "./settings.schema.json"`): what holds across workflows. */
export function settingsJsonSchemaText(): string {
  const schema = z.toJSONSchema(ProjectSettings, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  return `${JSON.stringify({ ...schema, $id: 'https://waymark.dev/schemas/settings.schema.json', title: 'Waymark project settings', description: 'What holds across workflows: the send budget. See README.md, "The send budget across journeys".' }, null, 2)}\n`;
}
