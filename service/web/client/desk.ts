// The desk's only script, loaded from /assets/desk.js (no inline script: the CSP allows none).
// Pages work without it except the bulk upload, the live progress and report downloads.

function status(el: Element | null, text: string): void {
  if (el) el.textContent = text;
}

/** Report links: asked with the Accept header the report route reads, saved under a file name. */
function reportLinks(): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('a[data-accept]')) {
    a.addEventListener('click', async (ev) => {
      ev.preventDefault();
      const note = a.closest('p');
      const res = await fetch(a.href, { headers: { accept: a.dataset.accept ?? '*/*' }, credentials: 'same-origin' });
      if (!res.ok) {
        const body = await res.text();
        let message = body;
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
          // not JSON: shown as it came
        }
        status(note, `The report could not be made (${res.status}): ${message}`);
        return;
      }
      const url = URL.createObjectURL(await res.blob());
      const save = document.createElement('a');
      save.href = url;
      save.download = a.dataset.download ?? 'report';
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  }
}

/** Picking a case asked before in this session brings back its legal basis and purpose. */
function rememberedCases(): void {
  const form = document.querySelector<HTMLFormElement>('form.lookup');
  if (!form) return;
  const known = JSON.parse(form.dataset.remembered ?? '{}') as Record<string, { legalBasis: string; purpose: string }>;
  const caseInput = form.querySelector<HTMLInputElement>('[name=case]');
  caseInput?.addEventListener('change', () => {
    const g = known[caseInput.value];
    if (!g) return;
    const basis = form.querySelector<HTMLSelectElement>('[name=legalBasis]');
    const purpose = form.querySelector<HTMLInputElement>('[name=purpose]');
    if (basis) basis.value = g.legalBasis;
    if (purpose && purpose.value === '') purpose.value = g.purpose;
  });
}

/** The file goes to the bulk API as it is, with the session's form token; then to the job's page. */
function bulkUpload(): void {
  const form = document.querySelector<HTMLFormElement>('#bulk-form');
  if (!form) return;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = form.querySelector('.upload-status');
    const data = new FormData(form);
    const file = data.get('file');
    if (!(file instanceof File) || file.size === 0) {
      status(out, 'Choose a non-empty CSV file.');
      return;
    }
    const params = new URLSearchParams();
    for (const name of ['case', 'legalBasis', 'purpose', 'tz', 'tolerance', 'format']) {
      const v = String(data.get(name) ?? '').trim();
      if (v !== '') params.set(name, v);
    }
    status(out, `Uploading ${file.name} (${file.size} bytes)…`);
    const res = await fetch(`/v1/attribution/bulk/jobs?${params}`, {
      method: 'POST',
      body: file,
      credentials: 'same-origin',
      headers: { 'content-type': 'text/csv; charset=utf-8', 'x-csrf-token': form.dataset.csrf ?? '' },
    });
    const body = (await res.json().catch(() => ({}))) as { job?: string; message?: string };
    if (res.status !== 202 || !body.job) {
      status(out, `Not accepted (${res.status}): ${body.message ?? res.statusText}`);
      return;
    }
    location.assign(`/bulk/${body.job}`);
  });
}

/** A running job's page follows its progress (rows, rows per second, time left) until it ends. */
function jobProgress(): void {
  const box = document.querySelector<HTMLElement>('.progress[data-state=running]');
  if (!box) return;
  const job = box.dataset.job ?? '';
  const started = Date.parse(box.dataset.created ?? '') || Date.now();
  const set = (cls: string, text: string) => status(box.querySelector(`.${cls}`), text);
  const poll = async () => {
    const res = await fetch(`/v1/attribution/bulk/${encodeURIComponent(job)}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!res.ok) {
      set('state', `unknown (${res.status})`);
      return;
    }
    const s = (await res.json()) as { state: string; rows: number; total: number | null };
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = s.rows / seconds;
    set('rows', String(s.rows));
    set('total', s.total === null ? '?' : String(s.total));
    set('rate', rate.toFixed(0));
    set('eta', s.total && rate > 0 ? `${Math.max(0, Math.round((s.total - s.rows) / rate))} s` : '–');
    set('state', s.state);
    const bar = box.querySelector('progress');
    if (bar) {
      bar.max = s.total ?? 0;
      bar.value = s.rows;
    }
    if (s.state === 'running') setTimeout(poll, 1000);
    else location.reload();
  };
  setTimeout(poll, 500);
}

reportLinks();
rememberedCases();
bulkUpload();
jobProgress();

export {};
