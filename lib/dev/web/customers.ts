// Customer lookup: the search box and its results (GET /api/customers?query=), the customer
// panel (GET /api/customers/:id) and the email preview (GET /api/messages/:id) in a
// sandboxed iframe. Customer data is untrusted: it only ever goes in as text.

import type { CustomerPage, CustomerSummaryView, CustomerView, MessageView, Overview } from '../api-types';
import {
  $, h, fill, setText, fmtInt, fmtDuration, fmtDateTime, fmtShort, fmtRelative, fmtAgo, safeUrl, getJSON, HttpError,
  stageHue, STATUS_COLORS, STEP_TYPES, type Child,
} from './util';

type Email = CustomerView['emails'][number];
type Journey = CustomerView['journeys'][number];

const PAGE = 20;

function statusPill(status: string): HTMLElement {
  return h('span', {
    class: 'status-pill',
    style: { '--c': STATUS_COLORS[status] ?? '#64748b' },
    text: status,
  });
}

/** Prepends a strict CSP (no network, no scripts) and makes links inert in the preview. */
function previewDocument(html: string): string {
  const head = '<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; style-src \'unsafe-inline\'; font-src data:"><base target="_blank">';
  const match = /<head[^>]*>/i.exec(html);
  if (match) return html.slice(0, match.index + match[0].length) + head + html.slice(match.index + match[0].length);
  return head + html;
}

/** The email's previewUrl when it adds something: not when it is the /api/messages JSON the preview already shows. */
function originalUrl(email: Email): string | null {
  const url = safeUrl(email.previewUrl);
  if (!url) return null;
  const parsed = new URL(url);
  if (parsed.origin === location.origin && parsed.pathname.startsWith('/api/messages/')) return null;
  return url;
}

export interface CustomerLookupOptions {
  getOverview: () => Overview | null;
  devNow: () => number;
  showJourney: (workflowId: string, stepId: string | null) => void | Promise<void>;
  onHighlight: (journeys: Journey[] | null) => void;
}

export class CustomerLookup {
  private readonly getOverview: CustomerLookupOptions['getOverview'];
  private readonly devNow: CustomerLookupOptions['devNow'];
  private readonly showJourney: CustomerLookupOptions['showJourney'];
  private readonly onHighlight: CustomerLookupOptions['onHighlight'];
  writeHash: (changes: Record<string, string | null>) => void;
  private query: string;
  private offset = 0;
  private searchSeq: number;
  private resultsSig: string | null;
  customerId: string | null;
  private customer: CustomerView | null;
  private customerSig: string | null;
  private loadSeq: number;
  private loadingTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly openDetails: Set<string>;
  private hoveringResults: boolean;
  private readonly input: HTMLInputElement;
  private readonly results: HTMLElement;
  private readonly pager: HTMLElement;
  private readonly drawer: HTMLElement;
  private readonly dialog: HTMLDialogElement;

  constructor({ getOverview, devNow, showJourney, onHighlight }: CustomerLookupOptions) {
    this.getOverview = getOverview;
    this.devNow = devNow;
    this.showJourney = showJourney;
    this.onHighlight = onHighlight;
    this.writeHash = () => {};
    this.query = '';
    this.searchSeq = 0;
    this.resultsSig = null;
    this.customerId = null;
    this.customer = null;
    this.customerSig = null;
    this.loadSeq = 0;
    this.openDetails = new Set(['profile', 'emails']);
    this.hoveringResults = false;

    this.input = $('customer-search');
    this.results = $('customer-results');
    this.drawer = $('customer-drawer');
    this.dialog = $<HTMLDialogElement>('preview');
    this.pager = $('customer-pager');

    let timer: ReturnType<typeof setTimeout> | undefined;
    this.input.addEventListener('input', () => {
      clearTimeout(timer);
      // results for another query must not stay clickable while the new ones load
      if (this.input.value.trim() !== this.query) {
        this.offset = 0;
        this.searchSeq += 1;
        this.resultsSig = null;
        fill(this.results, h('li', { class: 'empty', text: 'Searching…' }));
      }
      timer = setTimeout(() => this.search(this.input.value.trim()), 200);
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown') {
        this.results.querySelector<HTMLButtonElement>('button')?.focus();
        event.preventDefault();
      } else if (event.key === 'Enter') {
        clearTimeout(timer);
        const first = this.results.querySelector<HTMLElement>('[data-customer-id]');
        void this.search(this.input.value.trim()).then(() => {
          const top = this.results.querySelector<HTMLElement>('[data-customer-id]') ?? first;
          if (top?.dataset.customerId) this.open(top.dataset.customerId);
        });
      }
    });
    this.results.addEventListener('keydown', (event) => {
      const items = [...this.results.querySelectorAll<HTMLButtonElement>('button[data-customer-id]')];
      const i = items.indexOf(document.activeElement as HTMLButtonElement);
      if (event.key === 'ArrowDown' && i >= 0) { items[Math.min(items.length - 1, i + 1)]!.focus(); event.preventDefault(); }
      if (event.key === 'ArrowUp' && i >= 0) { (i === 0 ? this.input : items[i - 1]!).focus(); event.preventDefault(); }
    });
    this.results.addEventListener('pointerenter', () => { this.hoveringResults = true; });
    this.results.addEventListener('pointerleave', () => { this.hoveringResults = false; });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !this.dialog.open && !this.drawer.hidden) this.close();
    });
    this.dialog.addEventListener('click', (event) => {
      if (event.target === this.dialog) this.dialog.close(); // backdrop click
    });
    this.dialog.addEventListener('close', () => fill(this.dialog));
  }

  /** Called after each overview poll: keeps the results and the open panel live. */
  refresh() {
    const busy = this.hoveringResults || this.results.contains(document.activeElement);
    if (!busy || this.resultsSig === null) void this.search(this.input.value.trim(), true);
    if (this.customerId && this.customerSig !== '404') void this.load(this.customerId, true); // an unknown id is not asked again
  }

  /** Shows another page of the results. */
  page(offset: number): void {
    this.offset = Math.max(0, offset);
    this.resultsSig = null;
    void this.search(this.query);
  }

  async search(query: string, quiet = false): Promise<void> {
    this.query = query;
    const seq = ++this.searchSeq;
    const table = this.getOverview()?.mode === 'table';
    setText($('customers-caption'), query ? 'Matching' : table ? 'Look up' : 'Recent');
    let list: CustomerPage;
    try {
      list = await getJSON<CustomerPage>(`/api/customers?query=${encodeURIComponent(query)}&offset=${this.offset}&limit=${PAGE}`);
    } catch {
      if (seq !== this.searchSeq || quiet) return;
      fill(this.results, h('li', { class: 'empty', text: 'Could not search customers right now: the server is not answering.' }));
      this.resultsSig = null;
      return;
    }
    if (seq !== this.searchSeq) return;
    // relative times move with the clock: redraw for them at most every 10 real seconds
    const sig = JSON.stringify([query, list, this.customerId, Math.floor(Date.now() / 10000)]);
    if (sig === this.resultsSig) return;
    this.resultsSig = sig;
    this.renderResults(list.customers, query, list.hint);
    this.renderPager(list);
  }

  renderPager(list: CustomerPage): void {
    const shown = list.customers.length;
    const total = list.total;
    const more = total === null ? shown >= list.limit : list.offset + shown < total;
    if (list.offset === 0 && !more) {
      fill(this.pager);
      this.pager.hidden = true;
      return;
    }
    this.pager.hidden = false;
    fill(this.pager,
      h('button', { type: 'button', class: 'small-button', 'data-testid': 'customers-previous', disabled: list.offset === 0, onclick: () => this.page(list.offset - list.limit) }, '‹ Newer'),
      h('span', { class: 'muted small', 'data-testid': 'customers-range', text: `${fmtInt(list.offset + 1)}–${fmtInt(list.offset + shown)}${total === null ? '' : ` of ${fmtInt(total)}`}` }),
      h('button', { type: 'button', class: 'small-button', 'data-testid': 'customers-next', disabled: !more, onclick: () => this.page(list.offset + list.limit) }, 'Older ›'));
  }

  renderResults(list: CustomerSummaryView[], query: string, hint: string | null = null): void {
    const ov = this.getOverview();
    const names = new Map((ov?.workflows ?? []).map((w) => [w.id, w.name || w.id]));
    const now = this.devNow();
    if (list.length === 0) {
      const table = ov?.mode === 'table';
      fill(this.results, h('li', { class: 'empty' }, query
        ? (table ? ['No customer with the id or email “', h('b', { text: query }), '”.'] : ['No customer id or email contains “', h('b', { text: query }), '”.'])
        : hint && table ? hint : ['No customers yet: send an event, or run ', h('code', { text: 'npm start' }), ' for the demo.']));
      return;
    }
    fill(this.results, list.map((c) => h('li', {},
      h('button', {
        type: 'button',
        class: `result${c.customerId === this.customerId ? ' selected' : ''}`,
        'data-testid': 'customer-result',
        'data-customer-id': c.customerId,
        onclick: () => this.open(c.customerId),
      },
      h('span', { class: 'result-top' },
        h('span', { class: 'result-id', text: c.customerId }),
        c.lastSeen ? h('span', { class: 'result-seen', title: fmtDateTime(c.lastSeen), text: fmtAgo(c.lastSeen, now) }) : null),
      c.email ? h('span', { class: 'result-email', text: c.email }) : h('span', { class: 'result-email muted', text: 'no email' }),
      h('span', { class: 'result-journeys' }, (c.journeys ?? []).map((j) => h('span', { class: 'result-journey', title: `${names.get(j.workflowId) ?? j.workflowId}: ${j.status}${j.stage ? `, ${j.stage}` : ''}` },
        h('i', { class: 'dot', style: { background: STATUS_COLORS[j.status] ?? '#64748b' } }),
        h('span', { class: 'rj-wf', text: names.get(j.workflowId) ?? j.workflowId }),
        h('span', { class: 'rj-stage', text: j.stage ?? j.status }))))))));
  }

  // ---- the panel -------------------------------------------------------------------------------

  open(customerId: string): void {
    if (!customerId) return;
    this.customerId = customerId;
    this.customer = null;
    this.customerSig = null;
    this.writeHash({ customer: customerId });
    for (const el of this.results.querySelectorAll<HTMLElement>('[data-customer-id]')) el.classList.toggle('selected', el.dataset.customerId === customerId);
    // The panel appears with its content; only a slow answer shows it with "Loading…" first.
    const seq = this.loadSeq + 1;
    clearTimeout(this.loadingTimer);
    if (this.drawer.hidden) {
      this.loadingTimer = setTimeout(() => {
        if (this.loadSeq !== seq || this.customerId !== customerId || this.customerSig !== null) return;
        fill(this.drawer, this.panelHeader(customerId, null), h('div', { class: 'drawer-body' }, h('p', { class: 'muted', text: 'Loading…' })));
        this.showDrawer();
      }, 400);
    } else {
      fill(this.drawer, this.panelHeader(customerId, null), h('div', { class: 'drawer-body' }, h('p', { class: 'muted', text: 'Loading…' })));
    }
    this.load(customerId, false);
  }

  showDrawer(): void {
    this.drawer.hidden = false;
    document.body.classList.add('drawer-open');
  }

  close(): void {
    clearTimeout(this.loadingTimer);
    this.customerId = null;
    this.customer = null;
    this.drawer.hidden = true;
    document.body.classList.remove('drawer-open');
    this.writeHash({ customer: null });
    this.onHighlight(null);
    for (const el of this.results.querySelectorAll('.selected')) el.classList.remove('selected');
  }

  async load(customerId: string, quiet: boolean): Promise<void> {
    const seq = ++this.loadSeq;
    let customer: CustomerView;
    try {
      customer = await getJSON<CustomerView>(`/api/customers/${encodeURIComponent(customerId)}`);
    } catch (error) {
      if (seq !== this.loadSeq || customerId !== this.customerId) return;
      if (error instanceof HttpError && error.status === 404) {
        this.customer = null;
        this.customerSig = '404';
        fill(this.drawer, this.panelHeader(customerId, null), h('div', { class: 'drawer-body' },
          h('p', { class: 'empty', text: 'No customer with this id in the table (yet).' })));
        this.onHighlight(null);
        this.showDrawer();
      } else if (!quiet) {
        fill(this.drawer, this.panelHeader(customerId, null), h('div', { class: 'drawer-body' },
          h('p', { class: 'empty', text: 'Could not load this customer: the server is not answering. Retrying…' })));
        this.showDrawer();
      }
      return;
    }
    if (seq !== this.loadSeq || customerId !== this.customerId) return;
    const sig = JSON.stringify([customer, Math.floor(Date.now() / 10000), this.getOverview()?.workflows?.map((w) => w.id)]);
    this.highlightFor(customer);
    if (sig === this.customerSig) return;
    this.customerSig = sig;
    this.customer = customer;
    this.renderPanel(customer);
    this.showDrawer();
  }

  /** Highlights the customer's journeys on the map (the graph picks the shown workflow's). */
  highlightFor(customer: CustomerView | null): void {
    this.onHighlight(customer?.journeys ?? null);
  }

  panelHeader(customerId: string, customer: CustomerView | null): HTMLElement {
    return h('header', { class: 'drawer-head' },
      h('div', { class: 'drawer-title' },
        h('span', { class: 'eyebrow', text: 'Customer' }),
        h('h2', { 'data-testid': 'customer-id', text: customerId }),
        customer?.profile?.email !== undefined ? h('span', { class: 'drawer-email', text: String(customer.profile.email) }) : null,
        customer ? (customer.suppressed
          ? h('span', { class: 'flag flag-suppressed', 'data-testid': 'customer-suppressed', text: 'Suppressed: no more emails' })
          : h('span', { class: 'flag flag-ok', 'data-testid': 'customer-suppressed', text: 'Not suppressed' })) : null),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close the customer panel', title: 'Close (Esc)', onclick: () => this.close() }, '×'));
  }

  section(key: string, title: string, count: number | null, body: Child): HTMLDetailsElement {
    const details = h('details', { class: 'panel-section', 'data-section': key },
      h('summary', {}, h('span', { text: title }), count === null ? null : h('span', { class: 'count', text: fmtInt(count) })),
      body);
    details.open = this.openDetails.has(key);
    details.addEventListener('toggle', () => {
      if (details.open) this.openDetails.add(key);
      else this.openDetails.delete(key);
    });
    return details;
  }

  renderPanel(c: CustomerView): void {
    const ov = this.getOverview();
    const workflows = new Map((ov?.workflows ?? []).map((w) => [w.id, w]));
    const now = this.devNow();
    const body = this.drawer.querySelector<HTMLElement>('.drawer-body');
    const scrollTop = body?.scrollTop ?? 0;
    const stepOf = (workflowId: string, stepId: string) => workflows.get(workflowId)?.steps.find((st) => st.id === stepId) ?? null;
    const stepName = (workflowId: string, stepId: string) => stepOf(workflowId, stepId)?.label ?? stepId;

    const profileEntries = Object.entries(c.profile ?? {});
    const profile = profileEntries.length === 0
      ? h('p', { class: 'muted small', text: 'No profile fields.' })
      : h('dl', { class: 'kv' }, profileEntries.flatMap(([k, v]) => [
        h('dt', { text: k }),
        h('dd', { text: typeof v === 'string' ? v : JSON.stringify(v) }),
      ]));

    const journeys = (c.journeys ?? []).map((j) => {
      const w = workflows.get(j.workflowId);
      const stages = w?.stages ?? [];
      const step = j.stepId ? stepOf(j.workflowId, j.stepId) : null;
      const stageRows = (j.stages ?? []).map((st, i, arr) => {
        const next = arr[i + 1];
        const end = next ? Date.parse(next.at) : j.status === 'active' ? now : null;
        const spent = end !== null ? end - Date.parse(st.at) : null;
        return h('li', { style: { '--hue': String(stageHue(Math.max(0, stages.indexOf(st.stage)))) } },
          h('span', { class: 'tl-dot', 'aria-hidden': 'true' }),
          h('span', { class: 'tl-main', text: st.stage }),
          h('time', { datetime: st.at, title: fmtDateTime(st.at), text: fmtShort(st.at) }),
          h('span', { class: 'tl-note', text: spent !== null && Number.isFinite(spent) ? `${fmtDuration(spent)}${next ? '' : ' so far'}` : '' }));
      });
      const pathRows = (j.path ?? []).map((p, i, arr) => {
        const st = stepOf(j.workflowId, p.stepId);
        const isHere = i === arr.length - 1 && j.status === 'active';
        return h('li', { class: isHere ? 'here' : '' },
          h('span', { class: 'path-type', style: { color: (st && STEP_TYPES[st.type]?.color) ?? '#64748b' }, text: (st && STEP_TYPES[st.type]?.label) ?? '' }),
          h('span', { class: 'tl-main', text: st?.label ?? p.stepId }),
          h('time', { datetime: p.at, title: fmtDateTime(p.at), text: fmtShort(p.at) }),
          isHere ? h('span', { class: 'tl-note here-note', text: 'here now' }) : null);
      });
      return h('article', { class: 'journey', 'data-testid': 'customer-journey', 'data-workflow-id': j.workflowId },
        h('header', { class: 'journey-head' },
          h('div', {},
            h('h4', {}, w?.name ?? j.workflowId, h('span', { class: 'wf-version', text: `v${j.version}` })),
            h('div', { class: 'journey-sub' }, statusPill(j.status), j.stage ? h('span', { class: 'stage-chip', style: { '--hue': String(stageHue(Math.max(0, stages.indexOf(j.stage)))) }, text: j.stage }) : null)),
          w ? h('button', { type: 'button', class: 'small-button', onclick: () => this.showJourney(j.workflowId, j.stepId ?? j.path?.at(-1)?.stepId ?? null), text: 'Show on map' }) : null),
        h('dl', { class: 'kv compact' },
          h('dt', { text: 'Current step' }),
          h('dd', { 'data-testid': 'journey-step' }, j.stepId ? [step?.label ?? j.stepId, step ? h('span', { class: 'muted', text: ` · ${step.type}` }) : null] : h('span', { class: 'muted', text: '–' })),
          h('dt', { text: 'Stage' }), h('dd', { text: j.stage ?? '–' }),
          h('dt', { text: 'Entered' }), h('dd', { title: fmtDateTime(j.enteredAt), text: `${fmtShort(j.enteredAt)} (${fmtAgo(j.enteredAt, now)})` }),
          j.dueAt ? [h('dt', { text: 'Next move' }), h('dd', { title: fmtDateTime(j.dueAt), text: `${fmtShort(j.dueAt)} (${fmtRelative(j.dueAt, now)})` })] : null,
          h('dt', { text: 'Emails' }), h('dd', { text: `${fmtInt(j.emailsSent)} sent · ${fmtInt(j.opens)} opens · ${fmtInt(j.clicks)} clicks` })),
        h('div', { class: 'journey-cols' },
          h('div', {},
            h('h5', { text: 'Stages' }),
            stageRows.length ? h('ol', { class: 'timeline stages-tl' }, stageRows) : h('p', { class: 'muted small', text: 'No stage yet.' })),
          h('div', {},
            h('h5', { text: `Path (${fmtInt(pathRows.length)} steps)` }),
            pathRows.length ? h('ol', { class: 'timeline path-tl' }, pathRows) : h('p', { class: 'muted small', text: 'No steps yet.' }))));
    });

    const mailViewer = safeUrl(ov?.links?.mailViewer);
    const emails = [...(c.emails ?? [])].sort((a, b) => (Date.parse(b.at) || 0) - (Date.parse(a.at) || 0)).map((e) => {
      const raw = originalUrl(e);
      return h('li', { class: 'email' },
        e.messageId
          ? h('a', {
            href: `/api/messages/${encodeURIComponent(e.messageId)}`,
            class: 'email-subject',
            'data-testid': 'email-link',
            'data-message-id': e.messageId,
            title: 'Preview this email',
            onclick: (event: MouseEvent) => { event.preventDefault(); void this.preview(e); },
          }, e.subject || '(no subject)')
          : h('span', { class: 'email-subject', 'data-testid': 'email-link', title: 'The local SES server did not keep this message', text: e.subject || '(no subject)' }),
        h('div', { class: 'email-meta' },
          h('time', { datetime: e.at, title: fmtDateTime(e.at), text: fmtShort(e.at) }),
          h('span', { text: `${workflows.get(e.workflowId)?.name ?? e.workflowId} · ${stepName(e.workflowId, e.stepId)}` }),
          h('span', { class: 'muted', text: `content ${e.contentId}` })),
        h('div', { class: 'email-actions' },
          e.messageId ? h('button', { type: 'button', class: 'link', onclick: () => void this.preview(e), text: 'Preview' }) : h('span', { class: 'muted', text: ov?.mode === 'table' ? 'sent by SES' : 'no preview' }),
          raw ? h('a', { href: raw, target: '_blank', rel: 'noopener noreferrer', text: 'Original ↗' }) : null,
          mailViewer ? h('a', { href: mailViewer, target: '_blank', rel: 'noopener noreferrer', text: 'Mail viewer ↗' }) : null));
    });

    fill(this.drawer,
      this.panelHeader(c.customerId, c),
      h('div', { class: 'drawer-body' },
        this.section('profile', 'Profile', null, profile),
        h('section', { class: 'panel-block' },
          h('h3', {}, 'Journeys', h('span', { class: 'count', text: fmtInt(journeys.length) })),
          journeys.length ? journeys : h('p', { class: 'muted small', text: 'Not in any journey.' })),
        this.section('emails', 'Emails received', emails.length,
          emails.length ? h('ol', { class: 'emails' }, emails) : h('p', { class: 'muted small', text: 'No emails yet.' }))));
    const newBody = this.drawer.querySelector<HTMLElement>('.drawer-body');
    if (newBody) newBody.scrollTop = scrollTop;
  }

  // ---- preview ----------------------------------------------------------------------------------

  async preview(email: Email): Promise<void> {
    const ov = this.getOverview();
    const mailViewer = safeUrl(ov?.links?.mailViewer);
    const raw = originalUrl(email);
    const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close the preview', title: 'Close (Esc)', onclick: () => this.dialog.close() }, '×');
    const meta = h('dl', { class: 'kv compact preview-meta' });
    const frameBox = h('div', { class: 'preview-frame' }, h('p', { class: 'muted', text: 'Loading the message…' }));
    const footer = h('footer', { class: 'preview-foot' },
      h('span', { class: 'muted small', text: 'Shown in a sandbox: no scripts, no remote images, links disabled.' }),
      h('span', { class: 'spacer' }),
      raw ? h('a', { href: raw, target: '_blank', rel: 'noopener noreferrer', text: 'Original ↗' }) : null,
      mailViewer ? h('a', { href: mailViewer, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'mail-viewer-link', text: 'Open the mail viewer ↗' }) : null);
    fill(this.dialog,
      h('header', { class: 'preview-head' }, h('h3', { 'data-testid': 'preview-subject', text: email.subject || '(no subject)' }), close),
      meta, frameBox, footer);
    if (!this.dialog.open) this.dialog.showModal();

    let message: MessageView;
    try {
      message = await getJSON<MessageView>(`/api/messages/${encodeURIComponent(email.messageId ?? '')}`);
    } catch (error) {
      fill(frameBox, h('p', { class: 'empty', text: error instanceof HttpError && error.status === 404
        ? 'The local SES server no longer has this message.'
        : 'Could not load the message: the dev server is not answering.' }));
      return;
    }
    fill(meta,
      h('dt', { text: 'From' }), h('dd', { text: message.from ?? '' }),
      h('dt', { text: 'To' }), h('dd', { text: (message.to ?? []).join(', ') }),
      h('dt', { text: 'Sent' }), h('dd', { text: fmtDateTime(email.at) }),
      h('dt', { text: 'Subject' }), h('dd', { text: message.subject ?? email.subject ?? '' }));
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', ''); // before srcdoc: nothing in the message may run
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.setAttribute('title', `Preview of “${message.subject ?? email.subject ?? ''}”`);
    frame.setAttribute('data-testid', 'email-preview');
    if (typeof message.html === 'string' && message.html !== '') {
      frame.srcdoc = previewDocument(message.html);
      fill(frameBox, frame);
    } else if (typeof message.text === 'string') {
      fill(frameBox, h('pre', { class: 'preview-text', 'data-testid': 'email-preview', text: message.text }));
    } else {
      fill(frameBox, h('p', { class: 'empty', text: 'This message has no body.' }));
    }
    if (Array.isArray(message.headers) && message.headers.length) {
      frameBox.after(h('details', { class: 'preview-headers' }, h('summary', { text: `Headers (${message.headers.length})` }),
        h('dl', { class: 'kv compact' }, message.headers.flatMap((hd) => [h('dt', { text: hd.name }), h('dd', { text: hd.value })]))));
    }
  }
}
