/**
 * Starts AWS's DynamoDB Local and the local SES v2 server once for the
 * integration tests, on free ports, and stops them afterwards. Each test file
 * creates its own table, and uses its own addresses, so files run in parallel.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startSesLocal } from '../../lib/runtime/local-servers';
import { hideSdkNodeVersionNotice } from '../../lib/runtime/quiet-warnings';

hideSdkNodeVersionNotice();

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sesEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const [dynamo, ses] = await Promise.all([startDynamoDbLocal(), startSesLocal()]);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('sesEndpoint', ses.endpoint);
  return async () => {
    await Promise.all([dynamo.stop(), ses.stop()]);
  };
}
