/**
 * The local servers stay on this machine: DynamoDB Local (through our launcher,
 * lib/runtime/dynamodb-local/LoopbackDynamoDBLocal.java) and the local SES server listen on
 * 127.0.0.1 only, and answer only requests addressed to a local name. Checked on the servers the
 * test setup started (tests/support/global-setup.ts), with the same functions `waymark dev` uses.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../lib/runtime/local-servers';

/** The addresses sockets listen on for `port`, from the kernel's table (Linux), else from `ss`. */
function listeningAddresses(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  if (existsSync('/proc/net/tcp')) {
    const addresses: string[] = [];
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const [, local, , state] = line.trim().split(/\s+/);
        if (!local || state !== '0A') continue; // 0A: LISTEN
        const [address, localPort] = local.split(':');
        if (localPort !== hex) continue;
        // Each 32-bit word is in the machine's (little-endian) byte order.
        const bytes = address!.match(/.{8}/g)!.flatMap((word) => word.match(/../g)!.reverse().map((b) => Number.parseInt(b, 16)));
        if (bytes.length === 4) addresses.push(bytes.join('.'));
        else if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) addresses.push(`::ffff:${bytes.slice(12).join('.')}`);
        else addresses.push(Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':'));
      }
    }
    return addresses;
  }
  const listing = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  return listing
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().split(/\s+/)[3]!.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''));
}

const isLoopback = (address: string) => address.startsWith('127.') || address === '0:0:0:0:0:0:0:1' || address === '::1' || address.startsWith('::ffff:127.');

/** This machine's addresses on its network interfaces (not loopback; link-local IPv6 needs a scope, left out). */
function networkAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:')))
    .map((a) => a!.address);
}

function connectionOutcome(address: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** A raw request, so that Host and Origin can be set as a browser elsewhere would. */
function rawRequest(url: string, options: { method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method, headers: options.headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

const LIST_TABLES = {
  'Content-Type': 'application/x-amz-json-1.0',
  'X-Amz-Target': 'DynamoDB_20120810.ListTables',
  Authorization: 'AWS4-HMAC-SHA256 Credential=local/20261102/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
};

describe.each([
  ['DynamoDB Local', () => inject('dynamoEndpoint')],
  ['the local SES server', () => inject('sesEndpoint')],
])('%s', (_name, endpoint) => {
  it('listens on 127.0.0.1 only', async () => {
    const port = Number(new URL(endpoint()).port);
    const addresses = listeningAddresses(port);
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.filter((a) => !isLoopback(a))).toEqual([]);
    // And from the network's side: this machine's own addresses refuse the connection.
    for (const address of networkAddresses()) expect([address, await connectionOutcome(address, port)]).toEqual([address, 'ECONNREFUSED']);
    expect(await connectionOutcome('127.0.0.1', port)).toBe('connected');
  });

  it('refuses a request addressed to another host name (DNS rebinding)', async () => {
    const port = new URL(endpoint()).port;
    const refused = await rawRequest(endpoint(), { method: 'POST', headers: { ...LIST_TABLES, Host: `rebound.example:${port}` }, body: '{}' });
    expect(refused.status).toBe(403);
    const local = await rawRequest(`${endpoint()}/`, { method: 'GET', headers: { Host: `localhost:${port}` } });
    expect(local.status).not.toBe(403);
  });
});

describe('DynamoDB Local', () => {
  it('answers the SDK on 127.0.0.1', async () => {
    const client = localDynamoClient(inject('dynamoEndpoint'));
    try {
      expect((await client.send(new ListTablesCommand({}))).TableNames).toBeInstanceOf(Array);
    } finally {
      client.destroy();
    }
  });

  it('lets no other web origin call it (CORS for its own origin only, not AWS\'s default "*")', async () => {
    const preflight = await rawRequest(inject('dynamoEndpoint'), {
      method: 'OPTIONS',
      headers: { Origin: 'https://elsewhere.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-amz-target,authorization' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await rawRequest(inject('dynamoEndpoint'), { method: 'POST', headers: { ...LIST_TABLES, Origin: 'https://elsewhere.example' }, body: '{}' });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the local SES server', () => {
  it('takes no state-changing request from another web origin', async () => {
    // A harmless path: the guard answers first; past it, the app asks for credentials.
    const refused = await rawRequest(`${inject('sesEndpoint')}/nothing-here`, { method: 'POST', headers: { Origin: 'https://elsewhere.example', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Origin https://elsewhere.example is not this server');
    const own = await rawRequest(`${inject('sesEndpoint')}/nothing-here`, { method: 'POST', headers: { Origin: inject('sesEndpoint'), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(own.body).not.toContain('is not this server');
    expect(own.body).toContain('Missing Authentication Token');
  });
});
