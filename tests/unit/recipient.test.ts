import { describe, expect, it } from 'vitest';
import { recipientOf } from '../../lib/engine/interpreter';

/** The rule recipientOf has always applied, as the regular expression it was written as. */
const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;
const byRegex = (email: unknown) => (typeof email === 'string' && email.length <= 254 && ADDRESS.test(email) ? email : undefined);

describe('recipientOf', () => {
  it('accepts exactly the addresses the regular expression accepts', () => {
    // Prepare: every UTF-16 code unit inserted into, and put in place of, each position of a few addresses
    const templates = ['a@b.c', 'a.b@c.d', 'a@@b.c'];
    const emails: unknown[] = ['', 'x@y..z', '@b.c', 'a@.c', 'a@b.', 'a@bc', 'a b@c.d', 'a'.repeat(249) + '@b.co', 'a'.repeat(250) + '@b.co', 42, null, undefined, ['a@b.c']];
    for (const template of templates) {
      emails.push(template);
      for (let i = 0; i <= template.length; i++) {
        for (let code = 0; code < 0x10000; code++) {
          const ch = String.fromCharCode(code);
          emails.push(template.slice(0, i) + ch + template.slice(i), template.slice(0, i) + ch + template.slice(i + 1));
        }
      }
    }

    // Act / Assess: compared in bulk (one expect per address would take minutes)
    const differ = emails.filter((email) => recipientOf({ email }) !== byRegex(email));
    expect(differ).toEqual([]);
    expect(recipientOf({ email: 'ann@example.com' })).toBe('ann@example.com');
  });
});
