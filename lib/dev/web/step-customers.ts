// The customers resting at a step (click a step on the map): a page at a time from
// GET /api/workflows/:id/steps/:stepId/customers, each opening the customer panel.
import type { StepCustomersView } from '../api-types';
import { $, fill, fmtInt, fmtShort, getJSON, h } from './util';

export interface StepCustomersOptions {
  open: (customerId: string) => void;
  stepLabel: (workflowId: string, stepId: string) => string;
}

export class StepCustomers {
  private readonly box = $('step-customers');
  private seq = 0;
  private current: { workflowId: string; stepId: string } | null = null;

  constructor(private readonly options: StepCustomersOptions) {}

  /** Lists the customers at a step, from the first page. */
  show(workflowId: string, stepId: string): void {
    this.current = { workflowId, stepId };
    this.box.hidden = false;
    fill(this.box,
      this.head(workflowId, stepId),
      h('ul', { class: 'results step-list', 'data-testid': 'step-customers' }),
      h('p', { class: 'muted small', 'data-role': 'status', text: 'Looking…' }));
    void this.load(null, false);
  }

  private head(workflowId: string, stepId: string): HTMLElement {
    return h('div', { class: 'card-title-row' },
      h('h2', {}, 'At ', h('span', { class: 'step-name', text: this.options.stepLabel(workflowId, stepId) })),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close the list', onclick: () => { this.box.hidden = true; this.current = null; } }, '×'));
  }

  private async load(cursor: string | null, append: boolean): Promise<void> {
    const current = this.current;
    if (!current) return;
    const seq = ++this.seq;
    const list = this.box.querySelector('ul')!;
    const status = this.box.querySelector('[data-role=status]')!;
    let page: StepCustomersView;
    try {
      page = await getJSON<StepCustomersView>(`/api/workflows/${encodeURIComponent(current.workflowId)}/steps/${encodeURIComponent(current.stepId)}/customers${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, { timeoutMs: 30_000 });
    } catch {
      if (seq === this.seq) fill(status, 'Could not list the customers at this step right now.');
      return;
    }
    if (seq !== this.seq) return;
    if (!append) fill(list);
    list.append(...page.customers.map((c) => h('li', {},
      h('button', { type: 'button', class: 'result', 'data-testid': 'step-customer', 'data-customer-id': c.customerId, onclick: () => this.options.open(c.customerId) },
        h('span', { class: 'result-top' },
          h('span', { class: 'result-id', text: c.customerId }),
          h('span', { class: 'result-seen', text: c.held ? 'held (paused)' : c.dueAt ? `until ${fmtShort(c.dueAt)}` : c.since ? `since ${fmtShort(c.since)}` : '' }))))));
    const shown = list.children.length;
    fill(status,
      shown === 0 && !page.next ? 'Nobody is at this step now.' : `${fmtInt(shown)} customer${shown === 1 ? '' : 's'} shown`,
      page.next ? h('button', { type: 'button', class: 'small-button', 'data-testid': 'step-customers-more', onclick: () => void this.load(page.next, true) }, shown === 0 ? 'Look further' : 'More') : null);
  }
}
