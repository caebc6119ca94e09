import { describe, expect, it } from 'vitest';
import { compilePattern, matchesPattern, validatePattern, type EventPattern } from '../../lib/engine/patterns';

// Each case names the EventBridge User Guide section it comes from. "Comparison operators" is the
// page "Comparison operators for use in event patterns in Amazon EventBridge" (formerly "Content
// filtering in Amazon EventBridge event patterns").

/** Asserts the pattern is valid, then that it matches every `yes` document and none of the `no` ones. */
function expectMatching(pattern: EventPattern, yes: unknown[], no: unknown[]): void {
  expect(validatePattern(pattern)).toEqual([]);
  const test = compilePattern(pattern);
  for (const document of yes) expect(test(document), `should match ${JSON.stringify(document)}`).toBe(true);
  for (const document of no) expect(test(document), `should not match ${JSON.stringify(document)}`).toBe(false);
}

/** Asserts the pattern has exactly one problem, at `path`, whose message contains `message`. */
function expectProblem(pattern: unknown, path: string, message: string): void {
  const problems = validatePattern(pattern);
  expect(problems).toHaveLength(1);
  expect(problems[0]!.path).toBe(path);
  expect(problems[0]!.message).toContain(message);
}

const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const withDetail = (detail: Record<string, unknown>) => ({ ...ec2Event, detail });

describe('examples from the EventBridge User Guide', () => {
  it('Event patterns: selects EC2 instance-termination events by source, detail-type and detail.state', () => {
    expectMatching(
      { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } },
      [ec2Event],
      [withDetail({ state: 'running' }), { ...ec2Event, source: 'aws.fargate' }],
    );
  });

  it('Event patterns (Matching event values): ["aws.ec2", "aws.fargate"] matches either source', () => {
    expectMatching(
      { source: ['aws.ec2', 'aws.fargate'] },
      [ec2Event, { ...ec2Event, source: 'aws.fargate' }],
      [{ ...ec2Event, source: 'aws.s3' }],
    );
  });

  it('Event patterns: values are case sensitive and field names must sit at the same nesting', () => {
    expectMatching(
      { detail: { state: ['terminated'] } },
      [ec2Event],
      [withDetail({ state: 'Terminated' }), { ...ec2Event, detail: undefined, state: 'terminated' }],
    );
  });

  it('Value matching: Macie alert with risk-score 80 and trigger risk 8', () => {
    const macie = { source: 'aws.macie', 'detail-type': 'Macie Alert', detail: { 'risk-score': 80, trigger: { risk: 8 } } };
    expectMatching(
      { source: ['aws.macie'], 'detail-type': ['Macie Alert'], detail: { 'risk-score': [80], trigger: { risk: [8] } } },
      [macie],
      [{ ...macie, detail: { 'risk-score': 80, trigger: { risk: 7 } } }],
    );
  });

  it('Matching null values and empty strings: [""] matches the empty string and [null] matches null, not each other', () => {
    const event = { detail: { eventVersion: '', responseElements: null } };
    expectMatching({ detail: { eventVersion: [''] } }, [event], [{ detail: { eventVersion: null } }, { detail: {} }]);
    expectMatching({ detail: { responseElements: [null] } }, [event], [{ detail: { responseElements: '' } }, { detail: {} }]);
  });

  it('Arrays in event patterns: matches when the pattern array and the event array intersect', () => {
    expectMatching(
      {
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
        ],
      },
      [
        {
          resources: [
            'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
            'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          ],
        },
      ],
      [{ resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] }, { resources: [] }],
    );
  });

  it('Comparison operators (And): Location is "New York" and Day is "Monday"', () => {
    expectMatching(
      { Location: ['New York'], Day: ['Monday'] },
      [{ Location: 'New York', Day: 'Monday' }],
      [{ Location: 'New York', Day: 'Tuesday' }, { Location: 'New York' }],
    );
  });

  it('Comparison operators (Or): PaymentType is "Credit" or "Debit"', () => {
    expectMatching({ PaymentType: ['Credit', 'Debit'] }, [{ PaymentType: 'Credit' }, { PaymentType: 'Debit' }], [{ PaymentType: 'Cash' }]);
  });

  it('Comparison operators (Or, multiple fields): Location is "New York", or Day is "Monday"', () => {
    expectMatching(
      { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      [{ Location: 'New York', Day: 'Friday' }, { Location: 'Paris', Day: 'Monday' }],
      [{ Location: 'Paris', Day: 'Friday' }, {}],
    );
  });

  it('Comparison operators (Equals, Null, Empty): Name is "Alice", UserID is null, LastName is empty', () => {
    expectMatching({ Name: ['Alice'] }, [{ Name: 'Alice' }], [{ Name: 'alice' }]);
    expectMatching({ UserID: [null] }, [{ UserID: null }], [{ UserID: 'null' }, {}]);
    expectMatching({ LastName: [''] }, [{ LastName: '' }], [{ LastName: ' ' }, { LastName: null }]);
  });

  it('Prefix matching: "time" starting with "2017-10-02"', () => {
    expectMatching(
      { time: [{ prefix: '2017-10-02' }] },
      [{ time: '2017-10-02T18:43:48Z' }],
      [{ time: '2017-10-03T18:43:48Z' }, { time: 20171002 }],
    );
  });

  it('Prefix matching while ignoring case: service starting with "EventB" in any casing', () => {
    expectMatching(
      { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      [{ detail: { service: 'EventBridge' } }, { detail: { service: 'EVENTBRIDGE' } }, { detail: { service: 'eventbus' } }],
      [{ detail: { service: 'SNS' } }],
    );
  });

  it('Suffix matching: "FileName" ending with ".png"', () => {
    expectMatching({ FileName: [{ suffix: '.png' }] }, [{ FileName: 'photo.png' }], [{ FileName: 'photo.PNG' }, { FileName: 'photo.jpg' }]);
  });

  it('Suffix matching while ignoring case: "FileName" ending with ".png" or ".PNG"', () => {
    expectMatching(
      { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      [{ detail: { FileName: 'photo.png' } }, { detail: { FileName: 'photo.PNG' } }],
      [{ detail: { FileName: 'photo.png.txt' } }],
    );
  });

  it('Equals-ignore-case matching: Name "alice" matches "Alice"', () => {
    expectMatching({ Name: [{ 'equals-ignore-case': 'alice' }] }, [{ Name: 'Alice' }, { Name: 'ALICE' }], [{ Name: 'Alicia' }]);
  });

  it('Wildcard matching: any .png file within the folder "dir"', () => {
    expectMatching(
      { FileName: [{ wildcard: 'dir/*.png' }] },
      [{ FileName: 'dir/photo.png' }, { FileName: 'dir/sub/photo.png' }, { FileName: 'dir/.png' }],
      [{ FileName: 'other/photo.png' }, { FileName: 'dir/photo.png.bak' }],
    );
  });

  it('Wildcard matching: several wildcards in one value', () => {
    expectMatching(
      { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
      [{ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }],
      [{ EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default' }],
    );
  });

  it('Anything-but matching: state is anything but "initializing"', () => {
    expectMatching(
      { detail: { state: [{ 'anything-but': 'initializing' }] } },
      [withDetail({ state: 'running' })],
      [withDetail({ state: 'initializing' })],
    );
  });

  it('Anything-but matching: x-limit is anything but 123', () => {
    expectMatching({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, [withDetail({ 'x-limit': 124 })], [withDetail({ 'x-limit': 123 })]);
  });

  it('Anything-but matching: a list of strings', () => {
    expectMatching(
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      [withDetail({ state: 'running' })],
      [withDetail({ state: 'stopped' }), withDetail({ state: 'overloaded' })],
    );
  });

  it('Anything-but matching: a list of numbers', () => {
    expectMatching(
      { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      [withDetail({ 'x-limit': 150 })],
      [withDetail({ 'x-limit': 200 }), withDetail({ 'x-limit': 300.0 })],
    );
  });

  it('Anything-but (begins with): state without the prefix "init"', () => {
    expectMatching(
      { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      [withDetail({ state: 'running' })],
      [withDetail({ state: 'initializing' })],
    );
  });

  it('Anything-but (ends with): FileName not ending in ".png"', () => {
    expectMatching(
      { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } },
      [withDetail({ FileName: 'photo.jpg' })],
      [withDetail({ FileName: 'photo.png' })],
    );
  });

  it('Anything-but (ignore case): state is anything but "initializing" in any casing', () => {
    expectMatching(
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
      [withDetail({ state: 'running' })],
      [withDetail({ state: 'INITIALIZING' }), withDetail({ state: 'Initializing' })],
    );
    expectMatching(
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] } },
      [withDetail({ state: 'running' })],
      [withDetail({ state: 'Stopped' })],
    );
  });

  it('Anything-but using a wildcard: FilePath not including "/lib/"', () => {
    expectMatching(
      { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
      [withDetail({ FilePath: 'dir/src/main.ts' })],
      [withDetail({ FilePath: 'dir/lib/main.ts' })],
    );
  });

  it('Numeric matching: true for all of c-count in (0, 5], d-count < 10 and x-limit = 3.018e2', () => {
    expectMatching(
      { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
      [withDetail({ 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 })],
      [withDetail({ 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 }), withDetail({ 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 })],
    );
  });

  it('Comparison operators (Numeric): Price is 100; Price is more than 10 and at most 20', () => {
    expectMatching({ Price: [{ numeric: ['=', 100] }] }, [{ Price: 100 }, { Price: 100.0 }], [{ Price: '100' }, { Price: 100.5 }]);
    expectMatching({ Price: [{ numeric: ['>', 10, '<=', 20] }] }, [{ Price: 10.01 }, { Price: 20 }], [{ Price: 10 }, { Price: 20.01 }]);
  });

  it('IP address matching: sourceIPAddress within 10.0.0.0/24', () => {
    expectMatching(
      { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      [withDetail({ sourceIPAddress: '10.0.0.0' }), withDetail({ sourceIPAddress: '10.0.0.255' })],
      [withDetail({ sourceIPAddress: '10.0.1.1' }), withDetail({ sourceIPAddress: 'not an ip' }), withDetail({ sourceIPAddress: 167772161 })],
    );
  });

  it('IP address matching: IPv6 within 2001:db8:1234:1a00::/64, in any textual form', () => {
    expectMatching(
      { detail: { sourceIPAddress: [{ cidr: '2001:db8:1234:1a00::/64' }] } },
      [withDetail({ sourceIPAddress: '2001:0db8:1234:1a00:0000:0000:0000:0000' }), withDetail({ sourceIPAddress: '2001:DB8:1234:1A00::9' })],
      [withDetail({ sourceIPAddress: '2001:db8:1234:1a01::' }), withDetail({ sourceIPAddress: '10.0.0.1' })],
    );
  });

  it('Exists matching: detail.c-count does not exist', () => {
    expectMatching(
      { detail: { 'c-count': [{ exists: false }] } },
      [withDetail({ state: ['initializing', 'running'] })],
      [withDetail({ 'c-count': 5 }), withDetail({ 'c-count': null })],
    );
  });

  it('Exists matching only works on leaf nodes: an object-valued c-count counts as absent', () => {
    const nonLeaf = withDetail({ state: ['initializing', 'running'], 'c-count': { c1: 100 } });
    expectMatching({ detail: { 'c-count': [{ exists: false }] } }, [nonLeaf], []);
    expectMatching({ detail: { 'c-count': [{ exists: true }] } }, [withDetail({ 'c-count': 0 })], [nonLeaf]);
  });

  it('Comparison operators (Exists / Does not exist): ProductName', () => {
    expectMatching({ ProductName: [{ exists: true }] }, [{ ProductName: 'Widget' }, { ProductName: '' }], [{}]);
    expectMatching({ ProductName: [{ exists: false }] }, [{}], [{ ProductName: 'Widget' }]);
  });

  it('Complex example with multiple matching: prefix, anything-but and numeric together', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    };
    const event = { time: '2017-10-02T16:24:49Z', detail: { state: 'running', 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 } };
    expectMatching(pattern, [event], [{ ...event, detail: { ...event.detail, 'x-limit': 300 } }, { ...event, time: '2017-10-03T00:00:00Z' }]);
  });

  it('Best practices (use $or instead of listing values): CloudTrail calls from SQS or KMS by event name', () => {
    expectMatching(
      {
        'detail-type': ['AWS API Call via CloudTrail'],
        $or: [
          { source: ['aws.sqs'], detail: { eventName: ['CreateQueue', 'SetQueueAttributes'] } },
          { source: ['aws.kms'], detail: { eventName: ['CreateKey', 'DisableKeyRotation'] } },
        ],
      },
      [
        { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sqs', detail: { eventName: 'CreateQueue' } },
        { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.kms', detail: { eventName: 'DisableKeyRotation' } },
      ],
      [
        { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sqs', detail: { eventName: 'CreateKey' } },
        { 'detail-type': 'Something else', source: 'aws.sqs', detail: { eventName: 'CreateQueue' } },
      ],
    );
  });
});

describe('structure of the document', () => {
  it('ignores fields the pattern does not name, and names are case sensitive', () => {
    expectMatching({ source: ['shop'] }, [{ source: 'shop', extra: { deep: [1, 2] } }], [{ Source: 'shop' }]);
  });

  it('does not see inherited properties such as "constructor" as fields', () => {
    expectMatching({ constructor: [{ exists: false }] }, [{}], [{ constructor: 'x' }]);
    expectMatching({ plan: ['gold'] }, [{ plan: 'gold' }], [Object.create({ plan: 'gold' })]);
  });

  it('treats a missing nested object like one without the field', () => {
    expectMatching({ detail: { coupon: [{ exists: false }] } }, [{}, { detail: 'text' }, { detail: null }], [{ detail: { coupon: 'SPRING' } }]);
    expectMatching({ detail: { coupon: ['SPRING'] } }, [{ detail: { coupon: 'SPRING' } }], [{}, { detail: 'SPRING' }]);
  });

  it('matches deeply nested objects', () => {
    expectMatching(
      { detail: { order: { customer: { tier: ['gold'] } } } },
      [{ detail: { order: { customer: { tier: 'gold', id: 7 } } } }],
      [{ detail: { order: { customer: { tier: 'silver' } } } }, { detail: { order: {} } }],
    );
  });

  it('a leaf matches when any element of an array (including nested arrays) matches', () => {
    expectMatching({ tags: ['vip'] }, [{ tags: ['new', 'vip'] }, { tags: [['vip']] }, { tags: 'vip' }], [{ tags: ['new'] }, { tags: [] }]);
  });

  it('an empty array holds no value: it matches neither [null] nor exists:true, only exists:false', () => {
    expectMatching({ resources: [null] }, [{ resources: [null] }], [{ resources: [] }]);
    expectMatching({ resources: [{ exists: true }] }, [{ resources: ['a'] }], [{ resources: [] }]);
    expectMatching({ resources: [{ exists: false }] }, [{ resources: [] }], [{ resources: ['a'] }]);
  });

  it('arrays of objects match element by element: fields from different elements never combine', () => {
    const event = { employees: [{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }, { firstName: 'Peter', lastName: 'Jones' }] };
    expectMatching({ employees: { firstName: ['Anna'] } }, [event], []);
    expectMatching({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, [event], []);
    expectMatching({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, [], [event]);
  });

  it('arrays of arrays of objects are looked through', () => {
    const event = { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]] };
    expectMatching({ employees: { firstName: ['Peter'] } }, [event], [{ employees: [[{ firstName: 'Paul' }]] }]);
  });

  it('exists:false inside an array of objects asks whether some element lacks the field', () => {
    expectMatching(
      { items: { coupon: [{ exists: false }], sku: ['A1'] } },
      [{ items: [{ sku: 'B2' }, { sku: 'A1' }] }],
      [{ items: [{ sku: 'A1', coupon: 'X' }, { sku: 'B2' }] }],
    );
    expectMatching({ items: { coupon: [{ exists: false }] } }, [{ items: [{ coupon: 'X' }, {}] }, { items: [] }], [{ items: [{ coupon: 'X' }] }]);
  });

  it('non-object documents have no fields', () => {
    expectMatching({ a: [{ exists: false }] }, [null, 'text', 42], []);
    expectMatching({ a: ['x'] }, [], [null, 'x', ['x']]);
  });
});

describe('exact values', () => {
  it('numbers compare numerically: 300 matches 300.0 and 3.0e2', () => {
    expectMatching({ amount: [300] }, [{ amount: 300.0 }, { amount: 3.0e2 }], [{ amount: 300.5 }]);
  });

  it('a string never matches a number, nor a number a string', () => {
    expectMatching({ amount: ['300'] }, [{ amount: '300' }], [{ amount: 300 }]);
    expectMatching({ amount: [300] }, [{ amount: 300 }], [{ amount: '300' }]);
  });

  it('booleans match booleans only', () => {
    expectMatching({ optIn: [true] }, [{ optIn: true }], [{ optIn: 'true' }, { optIn: 1 }, { optIn: false }]);
  });

  it('null matches a null field, not a missing one, and not the text "null"', () => {
    expectMatching({ coupon: [null] }, [{ coupon: null }], [{}, { coupon: 'null' }, { coupon: '' }]);
  });

  it('exact numbers are not limited to the numeric-matching range (e.g. account numbers)', () => {
    expectMatching({ account: [123456789012] }, [{ account: 123456789012 }], [{ account: 123456789013 }]);
  });

  it('an exact value and matchers in one list are alternatives', () => {
    expectMatching({ plan: ['free', { prefix: 'pro-' }] }, [{ plan: 'free' }, { plan: 'pro-annual' }], [{ plan: 'team' }]);
  });
});

describe('string matchers only match strings', () => {
  it('prefix, suffix, equals-ignore-case and wildcard ignore numbers, booleans and null', () => {
    for (const matcher of [{ prefix: '1' }, { suffix: '1' }, { 'equals-ignore-case': '1' }, { wildcard: '1*' }]) {
      expectMatching({ code: [matcher] }, [{ code: '1' }], [{ code: 1 }, { code: true }, { code: null }]);
    }
  });

  it('an empty prefix matches any text; equals-ignore-case "" matches only the empty text', () => {
    expectMatching({ a: [{ prefix: '' }] }, [{ a: '' }, { a: 'x' }], [{ a: 0 }]);
    expectMatching({ a: [{ 'equals-ignore-case': '' }] }, [{ a: '' }], [{ a: ' ' }]);
  });

  it('regular-expression characters in matchers are literal', () => {
    expectMatching({ a: [{ prefix: { 'equals-ignore-case': 'a.b(' } }] }, [{ a: 'A.B(c' }], [{ a: 'axb(c' }]);
    expectMatching({ a: [{ wildcard: '[x]*+?' }] }, [{ a: '[x]anything+?' }], [{ a: 'x' }]);
  });
});

describe('wildcard', () => {
  it('a star matches any run of characters, including none and line breaks', () => {
    expectMatching({ a: [{ wildcard: 'a*z' }] }, [{ a: 'az' }, { a: 'abcz' }, { a: 'a\nz' }], [{ a: 'a' }, { a: 'za' }]);
  });

  it('without a star it is an exact match', () => {
    expectMatching({ a: [{ wildcard: 'abc' }] }, [{ a: 'abc' }], [{ a: 'abcd' }]);
  });

  it('"\\*" is a literal star and "\\\\" a literal backslash', () => {
    expectMatching({ a: [{ wildcard: 'rating: 5\\*' }] }, [{ a: 'rating: 5*' }], [{ a: 'rating: 55' }]);
    expectMatching({ a: [{ wildcard: 'C:\\\\*' }] }, [{ a: 'C:\\Users' }], [{ a: 'C:Users' }]);
    expectMatching({ a: [{ wildcard: 'x\\**' }] }, [{ a: 'x*' }, { a: 'x*yz' }], [{ a: 'xyz' }]);
  });
});

describe('numeric', () => {
  it('bounds are inclusive or exclusive as written', () => {
    expectMatching({ n: [{ numeric: ['>=', 10, '<', 20] }] }, [{ n: 10 }, { n: 19.999999 }], [{ n: 9.999999 }, { n: 20 }]);
    expectMatching({ n: [{ numeric: ['<=', -1] }] }, [{ n: -1 }, { n: -5e9 }], [{ n: -0.5 }]);
    expectMatching({ n: [{ numeric: ['>', 0] }] }, [{ n: 0.000001 }], [{ n: 0 }, { n: -0 }]);
  });

  it('only matches JSON numbers', () => {
    expectMatching({ n: [{ numeric: ['>', 0] }] }, [{ n: 1 }], [{ n: '1' }, { n: true }, { n: null }, {}]);
  });

  it('matches when any element of an array is in range', () => {
    expectMatching({ n: [{ numeric: ['>', 100] }] }, [{ n: [5, 150] }], [{ n: [5, 50] }]);
  });

  it('document numbers beyond ±5e9 never match a numeric comparison', () => {
    expectMatching({ n: [{ numeric: ['>', 0] }] }, [{ n: 5e9 }], [{ n: 5e9 + 1 }]);
    expectMatching({ n: [{ numeric: ['<', 0] }] }, [{ n: -5e9 }], [{ n: -6e9 }]);
  });

  it('accepts the documented extremes and six decimal places', () => {
    expect(validatePattern({ n: [{ numeric: ['>=', -5e9, '<=', 5e9] }] })).toEqual([]);
    expect(validatePattern({ n: [{ numeric: ['=', 0.000001] }] })).toEqual([]);
  });
});

describe('anything-but', () => {
  it('never matches a missing field (unlike exists:false)', () => {
    expectMatching({ state: [{ 'anything-but': 'initializing' }] }, [{ state: 'running' }], [{}, { state: [] }]);
    expectMatching({ state: [{ 'anything-but': { prefix: 'init' } }] }, [], [{}]);
  });

  it('matches null and values of another type', () => {
    expectMatching({ state: [{ 'anything-but': 'initializing' }] }, [{ state: null }, { state: 12 }], []);
    expectMatching({ state: [{ 'anything-but': { prefix: 'init' } }] }, [{ state: 12 }], []);
    expectMatching({ path: [{ 'anything-but': { wildcard: '*/dir/*' } }] }, [{ path: 123 }], []);
    expectMatching({ n: [{ 'anything-but': [100] }] }, [{ n: '100' }], [{ n: 100 }]);
  });

  it('on an array, matches when any element is not excluded', () => {
    expectMatching({ price: [{ 'anything-but': [100, 500] }] }, [{ price: [100, 50] }], [{ price: [100, 500] }]);
  });

  it('accepts lists for prefix, suffix and wildcard', () => {
    expectMatching({ r: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] }, [{ r: 'ap-south-1' }], [{ r: 'us-east-1' }, { r: 'eu-west-1' }]);
    expectMatching({ f: [{ 'anything-but': { suffix: ['.png', '.jpg'] } }] }, [{ f: 'a.gif' }], [{ f: 'a.jpg' }]);
    expectMatching({ f: [{ 'anything-but': { wildcard: ['*/lib/*', '*.tmp'] } }] }, [{ f: 'src/a.ts' }], [{ f: 'x.tmp' }]);
  });

  it('an empty anything-but wildcard excludes only the empty text', () => {
    expectMatching({ f: [{ 'anything-but': { wildcard: '' } }] }, [{ f: 'dir/init/file' }], [{ f: '' }]);
  });
});

describe('$or', () => {
  it('is combined with sibling fields by AND', () => {
    expectMatching(
      { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] },
      [{ source: 'aws.cloudwatch', namespace: 'AWS/EC2' }],
      [{ source: 'aws.other', namespace: 'AWS/EC2' }, { source: 'aws.cloudwatch', namespace: 'AWS/S3' }],
    );
  });

  it('works at nested levels and in parallel', () => {
    expectMatching(
      {
        $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
        detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
      },
      [{ namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } }],
      [{ namespace: 'AWS/EC2', detail: { source: 'aws.s3' } }],
    );
  });

  it('alternatives can hold several fields and their own $or', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
        { scope: ['Service'] },
      ],
    };
    expectMatching(
      pattern,
      [
        { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 },
        { source: 'aws.cloudwatch', scope: 'Service' },
      ],
      [{ source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', metricId: 1 }],
    );
  });

  it('inside an array of objects, all of an alternative must hold in one element', () => {
    expectMatching(
      { items: { $or: [{ sku: ['A1'], qty: [2] }, { sku: ['B2'] }] } },
      [{ items: [{ sku: 'A1', qty: 2 }] }, { items: [{ sku: 'C3' }, { sku: 'B2' }] }],
      [{ items: [{ sku: 'A1', qty: 1 }, { sku: 'C3', qty: 2 }] }],
    );
  });
});

describe('compilePattern and matchesPattern', () => {
  it('a compiled matcher can be reused', () => {
    const isBigOrder = compilePattern({ 'detail-type': ['order.placed'], detail: { amount: [{ numeric: ['>', 100] }] } });
    expect(isBigOrder({ 'detail-type': 'order.placed', detail: { amount: 150 } })).toBe(true);
    expect(isBigOrder({ 'detail-type': 'order.placed', detail: { amount: 50 } })).toBe(false);
    expect(isBigOrder({ 'detail-type': 'order.placed', detail: { amount: 150 } })).toBe(true);
  });

  it('matchesPattern is the one-shot form', () => {
    expect(matchesPattern({ a: ['x'] }, { a: 'x' })).toBe(true);
    expect(matchesPattern({ a: ['x'] }, { a: 'y' })).toBe(false);
  });

  it('compilePattern throws an error listing every problem with its path', () => {
    const invalid = { a: 'x', b: [{ prefix: 1 }] } as EventPattern;
    expect(() => compilePattern(invalid)).toThrow(/\$\.a: list the values[\s\S]*\$\.b\[0\]\.prefix: prefix expects text/);
    expect(() => matchesPattern(invalid, {})).toThrow('Invalid event pattern');
  });
});

describe('validation', () => {
  it('accepts every documented form', () => {
    expect(
      validatePattern({
        source: ['a', 1, true, false, null, ''],
        detail: {
          a: [{ prefix: 'x' }, { prefix: { 'equals-ignore-case': 'x' } }, { suffix: 'x' }, { suffix: { 'equals-ignore-case': 'x' } }],
          b: [{ 'equals-ignore-case': 'x' }, { wildcard: 'a*b\\*c\\\\' }, { numeric: ['>', 0, '<=', 5] }, { numeric: ['=', 1] }],
          c: [{ exists: true }, { exists: false }, { cidr: '10.0.0.0/8' }, { cidr: '2001:db8::/32' }, { cidr: '::/0' }],
          d: [{ 'anything-but': 'x' }, { 'anything-but': 1 }, { 'anything-but': ['x', 'y'] }, { 'anything-but': [1, 2] }],
          e: [{ 'anything-but': { prefix: 'x' } }, { 'anything-but': { suffix: ['x'] } }, { 'anything-but': { 'equals-ignore-case': ['x'] } }],
          f: [{ 'anything-but': { wildcard: '*/lib/*' } }],
          $or: [{ g: ['x'] }, { h: { i: ['y'] } }],
        },
      }),
    ).toEqual([]);
  });

  it('reports ALL problems, each with its own path', () => {
    const problems = validatePattern({
      a: 'x',
      b: [],
      detail: { c: [{ numeric: ['<', 'x'] }], d: [{ unknown: 1 }] },
      $or: [{ e: [{ exists: 'yes' }] }, { f: [{ cidr: 'bad' }] }],
    });
    expect(problems.map((p) => p.path)).toEqual([
      '$.a',
      '$.b',
      '$.detail.c[0].numeric[1]',
      '$.detail.d[0].unknown',
      '$.$or[0].e[0].exists',
      '$.$or[1].f[0].cidr',
    ]);
  });

  it('never throws, whatever the input', () => {
    const cyclic: Record<string, unknown> = { a: ['x'] };
    cyclic.self = cyclic;
    for (const input of [undefined, null, 0, 'x', [], [{}], () => 1, new Date(0), cyclic, { a: [undefined, NaN, Infinity, () => 1] }]) {
      expect(() => validatePattern(input)).not.toThrow();
      expect(validatePattern(input).length).toBeGreaterThan(0);
    }
  });

  describe('the pattern and its fields', () => {
    it('the pattern must be an object', () => {
      expectProblem('source', '$', 'must be a JSON object');
      expectProblem(['source'], '$', 'must be a JSON object');
      expectProblem(null, '$', 'must be a JSON object');
    });

    it('objects must not be empty', () => {
      expectProblem({}, '$', 'this object is empty');
      expectProblem({ detail: {} }, '$.detail', 'this object is empty');
    });

    it('a leaf must be an array', () => {
      expectProblem({ source: 'aws.ec2' }, '$.source', 'list the values to match in an array, e.g. "source": ["aws.ec2"]');
      expectProblem({ detail: { amount: 5 } }, '$.detail.amount', 'list the values to match in an array');
    });

    it('a leaf array must not be empty', () => {
      expectProblem({ detail: { state: [] } }, '$.detail.state', 'this list is empty, so nothing could ever match');
    });

    it('values must be text, numbers, booleans, null or matcher objects', () => {
      expectProblem({ a: [['x']] }, '$.a[0]', 'values must be text, a number, true, false, null or a matcher');
    });

    it('unusual field names are quoted in the path', () => {
      expectProblem({ 'my field': 'x' }, '$["my field"]', 'list the values');
      expectProblem({ 'a.b': 'x' }, '$["a.b"]', 'list the values');
    });
  });

  describe('matcher objects', () => {
    it('rejects an unknown matcher', () => {
      expectProblem({ a: [{ startsWith: 'x' }] }, '$.a[0].startsWith', 'unknown matcher "startsWith"; use one of prefix, suffix');
    });

    it('rejects a matcher object with more than one key, or none', () => {
      expectProblem({ a: [{ prefix: 'x', suffix: 'y' }] }, '$.a[0]', 'a matcher takes exactly one key, but this one has 2 (prefix, suffix)');
      expectProblem({ a: [{}] }, '$.a[0]', 'this matcher is empty');
      expectProblem({ a: [{ prefix: { 'equals-ignore-case': 'x', other: 'y' } }] }, '$.a[0].prefix', 'prefix expects text');
    });

    it('prefix and suffix expect text or {"equals-ignore-case": text}', () => {
      expectProblem({ a: [{ prefix: 1 }] }, '$.a[0].prefix', 'prefix expects text');
      expectProblem({ a: [{ suffix: ['x'] }] }, '$.a[0].suffix', 'suffix expects text');
      expectProblem({ a: [{ prefix: { 'equals-ignore-case': 1 } }] }, '$.a[0].prefix', 'prefix expects text');
      expectProblem({ a: [{ suffix: { wildcard: '*' } }] }, '$.a[0].suffix', 'suffix expects text');
    });

    it('equals-ignore-case expects text', () => {
      expectProblem({ a: [{ 'equals-ignore-case': ['x'] }] }, '$.a[0].equals-ignore-case', 'equals-ignore-case expects text');
    });

    it('exists expects true or false', () => {
      expectProblem({ a: [{ exists: 'true' }] }, '$.a[0].exists', 'exists expects true or false; got the text "true"');
    });
  });

  describe('wildcard', () => {
    it('expects text', () => {
      expectProblem({ a: [{ wildcard: 5 }] }, '$.a[0].wildcard', 'wildcard expects text');
    });

    it('rejects consecutive wildcards', () => {
      expectProblem({ a: [{ wildcard: 'a**b' }] }, '$.a[0].wildcard', '"**" at position 1 is not allowed');
    });

    it('rejects a backslash that escapes anything but "*" or "\\"', () => {
      expectProblem({ a: [{ wildcard: 'a\\b' }] }, '$.a[0].wildcard', 'a backslash can only escape "*"');
      expectProblem({ a: [{ wildcard: 'trailing\\' }] }, '$.a[0].wildcard', 'a backslash can only escape "*"');
    });
  });

  describe('numeric', () => {
    it('expects an array of operator/number pairs', () => {
      expectProblem({ a: [{ numeric: 5 }] }, '$.a[0].numeric', 'numeric expects pairs of an operator ("<", "<=", "=", ">=", ">") and a number');
      expectProblem({ a: [{ numeric: ['>', 0, '<'] }] }, '$.a[0].numeric', 'got 3 items');
      expectProblem({ a: [{ numeric: ['>', 0, '<', 5, '<', 6] }] }, '$.a[0].numeric', 'got 6 items');
    });

    it('rejects unknown operators and non-numbers', () => {
      expectProblem({ a: [{ numeric: ['==', 5] }] }, '$.a[0].numeric[0]', '"==" is not an operator');
      expectProblem({ a: [{ numeric: ['<', 'x'] }] }, '$.a[0].numeric[1]', '"<" must be followed by a number, not the text "x"');
      expectProblem({ a: [{ numeric: ['>', 0, '<', '5'] }] }, '$.a[0].numeric[3]', '"<" must be followed by a number');
    });

    it('a range is a lower bound then an upper bound', () => {
      expectProblem({ a: [{ numeric: ['>', 5, '>', 6] }] }, '$.a[0].numeric', 'a range starts with a lower bound');
      expectProblem({ a: [{ numeric: ['<', 10, '>', 0] }] }, '$.a[0].numeric', 'a range starts with a lower bound');
      expectProblem({ a: [{ numeric: ['=', 1, '<', 2] }] }, '$.a[0].numeric', 'a range starts with a lower bound');
    });

    it('the lower bound must be below the upper bound', () => {
      expectProblem({ a: [{ numeric: ['>', 10, '<', 5] }] }, '$.a[0].numeric', 'the lower bound (10) must be less than the upper bound (5)');
      expectProblem({ a: [{ numeric: ['>=', 5, '<=', 5] }] }, '$.a[0].numeric', 'must be less than');
    });

    it('enforces the documented limits: ±5e9 and six decimal places', () => {
      expectProblem({ a: [{ numeric: ['>', 5e9 + 1] }] }, '$.a[0].numeric[1]', 'between -5,000,000,000 and 5,000,000,000');
      expectProblem({ a: [{ numeric: ['<', -6e9] }] }, '$.a[0].numeric[1]', 'between -5,000,000,000 and 5,000,000,000');
      expectProblem({ a: [{ numeric: ['=', 0.1234567] }] }, '$.a[0].numeric[1]', 'at most 6 digits after the decimal point');
      expectProblem({ a: [{ numeric: ['=', 1e-7] }] }, '$.a[0].numeric[1]', 'at most 6 digits after the decimal point');
    });
  });

  describe('anything-but', () => {
    it('rejects null, booleans and objects that are not a supported matcher', () => {
      expectProblem({ a: [{ 'anything-but': null }] }, '$.a[0].anything-but', 'anything-but expects text, a number');
      expectProblem({ a: [{ 'anything-but': true }] }, '$.a[0].anything-but', 'anything-but expects text, a number');
      expectProblem({ a: [{ 'anything-but': { numeric: ['>', 1] } }] }, '$.a[0].anything-but.numeric', 'anything-but cannot contain "numeric"');
      expectProblem({ a: [{ 'anything-but': { prefix: 'a', suffix: 'b' } }] }, '$.a[0].anything-but', 'this object has 2 keys');
    });

    it('lists must be non-empty and all texts or all numbers', () => {
      expectProblem({ a: [{ 'anything-but': [] }] }, '$.a[0].anything-but', 'needs at least one value');
      expectProblem({ a: [{ 'anything-but': ['x', 1] }] }, '$.a[0].anything-but[1]', 'only texts or only numbers');
      expectProblem({ a: [{ 'anything-but': ['x', null] }] }, '$.a[0].anything-but[1]', 'only texts or only numbers; got null');
    });

    it('numbers follow the numeric limits', () => {
      expectProblem({ a: [{ 'anything-but': 6e9 }] }, '$.a[0].anything-but', 'between -5,000,000,000 and 5,000,000,000');
      expectProblem({ a: [{ 'anything-but': [1, 0.12345678] }] }, '$.a[0].anything-but[1]', 'at most 6 digits');
    });

    it('prefix and suffix need non-empty text', () => {
      expectProblem({ a: [{ 'anything-but': { prefix: '' } }] }, '$.a[0].anything-but.prefix', 'cannot be empty text');
      expectProblem({ a: [{ 'anything-but': { suffix: ['.png', ''] } }] }, '$.a[0].anything-but.suffix', 'cannot be empty text');
      expectProblem({ a: [{ 'anything-but': { prefix: 5 } }] }, '$.a[0].anything-but.prefix', 'anything-but prefix expects text');
    });

    it('equals-ignore-case needs text and wildcard must be valid', () => {
      expectProblem({ a: [{ 'anything-but': { 'equals-ignore-case': 5 } }] }, '$.a[0].anything-but.equals-ignore-case', 'expects text');
      expectProblem({ a: [{ 'anything-but': { wildcard: ['ok*', 'bad**'] } }] }, '$.a[0].anything-but.wildcard', '"**" at position 3');
    });
  });

  describe('cidr', () => {
    it('expects text in CIDR notation', () => {
      expectProblem({ a: [{ cidr: 10 }] }, '$.a[0].cidr', 'cidr expects an IP range such as "10.0.0.0/24"');
      expectProblem({ a: [{ cidr: '10.0.0.0' }] }, '$.a[0].cidr', 'one "/" followed by the number of fixed bits');
      expectProblem({ a: [{ cidr: 'bad-/64filter' }] }, '$.a[0].cidr', 'one "/" followed by the number of fixed bits');
      expectProblem({ a: [{ cidr: '10.0.0.0/x' }] }, '$.a[0].cidr', 'one "/" followed by the number of fixed bits');
    });

    it('rejects addresses that are not IPv4 or IPv6', () => {
      expectProblem({ a: [{ cidr: '10.0.0.256/24' }] }, '$.a[0].cidr', '"10.0.0.256" is not an IPv4 or IPv6 address');
      expectProblem({ a: [{ cidr: 'xxxx:db8:1234:1a00::/64' }] }, '$.a[0].cidr', 'is not an IPv4 or IPv6 address');
      expectProblem({ a: [{ cidr: '1::2::3/64' }] }, '$.a[0].cidr', 'is not an IPv4 or IPv6 address');
      expectProblem({ a: [{ cidr: '2001:db8a1::/32' }] }, '$.a[0].cidr', 'is not an IPv4 or IPv6 address');
      expectProblem({ a: [{ cidr: '1:2:3:4:5:6:7/64' }] }, '$.a[0].cidr', 'is not an IPv4 or IPv6 address');
      expectProblem({ a: [{ cidr: '::ffff:10.0.0.1/120' }] }, '$.a[0].cidr', 'is not an IPv4 or IPv6 address');
    });

    it('rejects full-length masks, as EventBridge does', () => {
      expectProblem({ a: [{ cidr: '10.0.0.1/32' }] }, '$.a[0].cidr', 'below 32 for an IPv4 range; to match one address, list it as a plain value');
      expectProblem({ a: [{ cidr: '2001:db8::1/128' }] }, '$.a[0].cidr', 'below 128 for an IPv6 range');
    });
  });

  describe('$or', () => {
    it('must be an array', () => {
      expectProblem({ $or: { a: ['x'] } }, '$.$or', '$or expects a list of at least two alternative patterns');
    });

    it('needs at least two alternatives', () => {
      expectProblem({ $or: [{ a: ['x'] }] }, '$.$or', '$or needs at least two alternatives, got 1');
      expectProblem({ detail: { $or: [] } }, '$.detail.$or', 'got 0');
    });

    it('each alternative must be a pattern object', () => {
      expectProblem({ $or: [{ a: ['x'] }, ['b']] }, '$.$or[1]', 'each $or alternative must be a pattern object');
      expectProblem({ $or: [{ a: ['x'] }, {}] }, '$.$or[1]', 'this object is empty');
    });

    it('alternatives are validated like any pattern', () => {
      expectProblem({ $or: [{ a: ['x'] }, { b: { c: [{ numeric: ['>'] }] } }] }, '$.$or[1].b.c[0].numeric', 'numeric expects pairs');
    });

    it('a matcher written directly as an alternative is rejected', () => {
      expectProblem({ $or: [{ numeric: ['>', 1] }, { a: ['x'] }] }, '$.$or[0].numeric', '"numeric" is a matcher, not a field name');
    });
  });
});
