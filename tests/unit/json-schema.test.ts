/** workflows/workflow.schema.json is generated from the zod schema: it must be current. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsJsonSchemaText, workflowJsonSchemaText } from '../../lib/engine/json-schema';
import { scenarioJsonSchemaText } from '../../lib/scenarios/json-schema';

describe('workflows/workflow.schema.json', () => {
  it('matches the zod schema (regenerate with `npm run schema`)', () => {
    expect(readFileSync('workflows/workflow.schema.json', 'utf8')).toBe(workflowJsonSchemaText());
  });

  it('describes every step type for editors', () => {
    const schema = JSON.parse(workflowJsonSchemaText());
    const text = JSON.stringify(schema.properties.steps);
    for (const type of ['email', 'wait', 'branch', 'split', 'holdout', 'stage', 'exit']) expect(text).toContain(`"const":"${type}"`);
  });
});

describe('workflows/scenario.schema.json', () => {
  it('matches the zod schema of scenario files (regenerate with `npm run schema`)', () => {
    expect(readFileSync('workflows/scenario.schema.json', 'utf8')).toBe(scenarioJsonSchemaText());
  });
});

describe('workflows/settings.schema.json', () => {
  it('matches the zod schema of workflows/settings.json (regenerate with `npm run schema`)', () => {
    expect(readFileSync('workflows/settings.schema.json', 'utf8')).toBe(settingsJsonSchemaText());
  });
});
