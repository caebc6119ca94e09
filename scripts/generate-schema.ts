/** Regenerates workflows/workflow.schema.json from the zod schema (npm run schema). */
import { writeFileSync } from 'node:fs';
import { workflowJsonSchemaText } from '../lib/engine/json-schema';

const target = new URL('../workflows/workflow.schema.json', import.meta.url);
writeFileSync(target, workflowJsonSchemaText());
console.log(`wrote ${target.pathname}`);
