/**
 * Cost per million events at list prices (us-east-1, on-demand, as published
 * in November 2026), from the requests the benchmarks measured. Email itself
 * (SES, $0.10 per 1,000) is left out: the figure is what Waymark adds.
 */
import type { AdvanceThroughput } from './advance-throughput';
import type { StoreCost } from './store-cost';

export const LIST_PRICES = {
  region: 'us-east-1',
  eventBridgeCustomEventPerMillion: 1.0,
  sqsRequestPerMillion: 0.4,
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  dynamoWriteRequestUnitPerMillion: 0.625,
  dynamoReadRequestUnitPerMillion: 0.125,
  sesEmailPerThousand: 0.1,
} as const;

export interface CostPerMillionEvents {
  eventBridge: number;
  sqs: number;
  lambdaRequests: number;
  lambdaDuration: number;
  dynamoWrites: number;
  dynamoReads: number;
  total: number;
  /** What the inputs behind one customer event are, in this workload. */
  assumptions: Record<string, number | string>;
}

/**
 * One customer event leads to `inputsPerEvent` inputs on the work queue (the
 * event itself, the timer wake-ups and SES engagement it causes), each costing
 * what the store benchmark measured, in batches of ten per Lambda invocation.
 */
export function costPerMillionEvents(store: StoreCost, advance: AdvanceThroughput, lambdaMemoryGb = 1): CostPerMillionEvents {
  const p = LIST_PRICES;
  const kinds = Object.values(store.byKind);
  const inputs = kinds.reduce((sum, k) => sum + k.inputs, 0);
  const customerEvents = inputs - store.byKind['wait resumed'].inputs;
  const inputsPerEvent = inputs / Math.max(1, customerEvents);
  const total = (field: 'tableWcuPerInput' | 'indexWcuPerInput' | 'rcuPerInput') => kinds.reduce((sum, k) => sum + k[field] * k.inputs, 0);
  const counterWcu = store.counterWritesPerInput * inputs; // counter items are small: one unit per write
  const wcuPerEvent = (total('tableWcuPerInput') + total('indexWcuPerInput') + counterWcu) / customerEvents;
  const rcuPerEvent = total('rcuPerInput') / customerEvents;
  const million = 1_000_000;
  const eventBridge = p.eventBridgeCustomEventPerMillion; // one PutEvents entry per customer event (SES events to the default bus are free)
  const sqs = p.sqsRequestPerMillion * inputsPerEvent * (1 + 0.1 + 0.1); // send; receive and delete in batches of ten
  const lambdaRequests = p.lambdaRequestPerMillion * inputsPerEvent * 0.1;
  const lambdaDuration = (advance.advance.msPerInput / 1000) * inputsPerEvent * lambdaMemoryGb * p.lambdaArmGbSecond * million;
  const dynamoWrites = p.dynamoWriteRequestUnitPerMillion * wcuPerEvent;
  const dynamoReads = p.dynamoReadRequestUnitPerMillion * rcuPerEvent;
  return {
    eventBridge,
    sqs,
    lambdaRequests,
    lambdaDuration,
    dynamoWrites,
    dynamoReads,
    total: eventBridge + sqs + lambdaRequests + lambdaDuration + dynamoWrites + dynamoReads,
    assumptions: {
      inputsPerEvent,
      writeUnitsPerEvent: wcuPerEvent,
      readUnitsPerEvent: rcuPerEvent,
      lambdaMsPerInput: advance.advance.msPerInput,
      lambdaMemoryGb,
      note: 'Lambda duration is measured against DynamoDB Local and the local SES server on this machine; the sweep (one invocation a minute) adds about $0.01 a month whatever the volume.',
    },
  };
}
