/** The JSON Schema editors use for scenario files (`"$schema": "./scenario.schema.json"`), generated from the zod schema. */
import { z } from 'zod';
import { ScenarioFile } from './scenario';

export function scenarioJsonSchemaText(): string {
  const schema = z.toJSONSchema(ScenarioFile, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  return `${JSON.stringify({ ...schema, $id: 'https://waymark.dev/schemas/scenario.schema.json', title: 'Waymark journey scenarios', description: 'Given a customer and events, expect emails, stages and statuses. Run with `waymark test`.' }, null, 2)}\n`;
}
