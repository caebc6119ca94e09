/**
 * The content catalogue: items in file-name order, then file order. Selection
 * returns the first item of a kind, carrying every requested tag, that the
 * customer has not been sent yet, so nobody reads the same article twice.
 */
import type { ContentItem, ContentSelector } from './schema';

export interface ContentCatalogue {
  readonly items: readonly ContentItem[];
  readonly byId: ReadonlyMap<string, ContentItem>;
  readonly byKind: ReadonlyMap<string, readonly ContentItem[]>;
}

export function createCatalogue(items: readonly ContentItem[]): ContentCatalogue {
  const byId = new Map<string, ContentItem>();
  const byKind = new Map<string, ContentItem[]>();
  for (const item of items) {
    if (!byId.has(item.id)) byId.set(item.id, item);
    const ofKind = byKind.get(item.kind);
    if (ofKind) ofKind.push(item);
    else byKind.set(item.kind, [item]);
  }
  return { items, byId, byKind };
}

export function itemMatches(item: ContentItem, selector: ContentSelector): boolean {
  if (item.kind !== selector.kind) return false;
  const tags = selector.tags;
  if (!tags || tags.length === 0) return true;
  const itemTags = item.tags ?? [];
  for (let i = 0; i < tags.length; i++) if (!itemTags.includes(tags[i]!)) return false;
  return true;
}

/** All items a selector can ever choose, in catalogue order. */
export function candidates(catalogue: ContentCatalogue, selector: ContentSelector): ContentItem[] {
  return (catalogue.byKind.get(selector.kind) ?? []).filter((item) => itemMatches(item, selector));
}

/** The first candidate not in `alreadySent`, or undefined when the customer has had them all. */
export function selectContent(
  catalogue: ContentCatalogue,
  selector: ContentSelector,
  alreadySent: readonly string[],
): ContentItem | undefined {
  for (const item of catalogue.byKind.get(selector.kind) ?? []) {
    if (itemMatches(item, selector) && !alreadySent.includes(item.id)) return item;
  }
  return undefined;
}
