/**
 * The JSON Schema editors use to complete and check workflow files
 * (`"$schema": "./workflow.schema.json"`), generated from the zod schema so
 * the two never disagree. Graph rules are not expressible here: `waymark
 * validate` checks those.
 */
import { z } from 'zod';
import { Workflow } from './schema';

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
