/** Regenerates the JSON Schemas editors use, from the zod schemas (npm run schema). */
import { writeFileSync } from 'node:fs';
import { settingsJsonSchemaText, workflowJsonSchemaText } from '../lib/engine/json-schema';
import { scenarioJsonSchemaText } from '../lib/scenarios/json-schema';

for (const [name, text] of [['workflow.schema.json', workflowJsonSchemaText()], ['scenario.schema.json', scenarioJsonSchemaText()], ['settings.schema.json', settingsJsonSchemaText()]] as const) {
  const target = new URL(`../workflows/${name}`, import.meta.url);
  writeFileSync(target, text);
  console.log(`wrote ${target.pathname}`);
}
