/** "Did you mean …?": the known name a mistyped one most likely meant, and nothing when none is close. */
import { describe, expect, it } from 'vitest';
import { closest, closestSlug, closestTimeZone, editDistance, quote } from '../../lib/engine/suggest';

describe('closestTimeZone', () => {
  it.each([
    ['America/Chicgo', 'America/Chicago'],
    ['Europe/Madird', 'Europe/Madrid'],
    ['Europe/Londn', 'Europe/London'],
    ['Amercia/New_York', 'America/New_York'],
    ['America/New York', 'America/New_York'],
    ['america/new york', 'America/New_York'],
    ['Paris', 'Europe/Paris'],
    ['Tokio', 'Asia/Tokyo'],
    ['Asia/Kolkatta', 'Asia/Kolkata'],
    ['UTC+1', 'Etc/GMT-1'],
    ['GMT-05:00', 'Etc/GMT+5'],
  ])('%s → %s', (typed, meant) => {
    expect(closestTimeZone(typed)).toBe(meant);
  });

  it.each(['Mars/Olympus', 'Europe', 'nonsense', '', 'UTC+05:30'])('%j → no suggestion', (typed) => {
    expect(closestTimeZone(typed)).toBeUndefined();
  });
});

describe('closest', () => {
  it('the fewest edits, a swap of two letters counting as one', () => {
    expect(editDistance('Madird', 'Madrid')).toBe(1);
    expect(closest('emial', ['wait', 'email', 'exit'])).toBe('email');
    expect(closest('artcle-3', ['article-2', 'article-3'])).toBe('article-3');
  });

  it('a different case is the best answer; a prefix counts as one edit', () => {
    expect(closest('Welcome', ['welcome-2', 'welcome'])).toBe('welcome');
    expect(closest('monday', ['mon', 'tue'])).toBe('mon');
    expect(closest('monday', ['mon', 'tue'], { prefixes: false })).toBeUndefined();
  });

  it('nothing when no candidate is close, and never the name itself', () => {
    expect(closest('questionnaire', ['article', 'demo'])).toBeUndefined();
    expect(closest('demo', ['demo'])).toBeUndefined();
  });
});

describe('closestSlug', () => {
  it('a documented content kind first, else the name written as a slug', () => {
    expect(closestSlug('Case Study', ['article', 'case-study'])).toBe('case-study');
    expect(closestSlug('Artcle', ['article', 'case-study'])).toBe('article');
    expect(closestSlug('Cold_Traffic')).toBe('cold-traffic');
    expect(closestSlug('!!!')).toBeUndefined();
  });
});

describe('quote', () => {
  it('JSON, shortened when long', () => {
    expect(quote('Europe/Madird')).toBe('"Europe/Madird"');
    expect(quote(42)).toBe('42');
    expect(quote(`<p>${'x'.repeat(3000)}`)).toBe(`"<p>${'x'.repeat(56)}…" (3,003 characters)`);
  });
});
