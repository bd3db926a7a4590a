// Scheduled jobs (GET /api/jobs): each job with its schedule, next run and last run — status,
// counts, progress while it runs, the error when it failed — and a Run button
// (POST /api/jobs/:name/run, admin only: other roles see the 403 reason on the row).

// Words from i18n/ops-panels.*.js (panels.jobs.*): the status words, counts and job names are
// translated for people; data-job and the API keep the English ids.

import { call } from './panel-http.js';
import { esc, fmtTime } from './format.js';
import { onLangChange, t } from './i18n.js';

const STYLE = `
.jobs-panel .job-rows { list-style: none; margin: 0; padding: 0 10px 8px; font-size: 13px; }
.jobs-panel .job-rows li { display: grid; grid-template-columns: minmax(0, 1fr) auto; align-items: center; gap: 2px 8px; padding: 6px 0; border-bottom: 1px solid var(--line, #2a3140); }
.jobs-panel .j-name { font-weight: 600; }
.jobs-panel .j-meta, .jobs-panel .j-counts { grid-column: 1 / -1; color: var(--muted, #8a93a6); font-size: 12px; }
.jobs-panel .j-status { font-weight: 700; text-transform: uppercase; font-size: 11px; }
.jobs-panel .j-succeeded { color: #3fb950; } .jobs-panel .j-failed, .jobs-panel .j-abandoned { color: #f85149; } .jobs-panel .j-running { color: #d29922; }
.jobs-panel .j-error { grid-column: 1 / -1; color: #f85149; font-size: 12px; }
.jobs-panel button { font-size: 12px; }
.jobs-panel .j-last { display: flex; align-items: center; justify-content: flex-end; gap: 6px; white-space: nowrap; }
.jobs-panel .j-last .muted { font-size: 12px; }
.jobs-panel .j-meta { overflow-wrap: anywhere; }`;



/** a word of a family (panels.jobs.status.*, .name.*, .count.*), or the id itself for a value the catalogue does not know */
const word = (family, id, params) => {
  const key = `panels.jobs.${family}.${id}`;
  const text = t(key, params);
  return text === key ? null : text;
};
const statusText = (s) => word('status', s) ?? s;
const jobName = (name) => word('name', name) ?? name;
const fmtCounts = (c) => Object.entries(c ?? {}).sort(([a], [b]) => a.localeCompare(b))
  .map(([k, v]) => word('count', k, { n: v }) ?? `${k.replaceAll('_', ' ')} ${v}`).join(' · ');

export class JobsPanel {
  /** @param {HTMLElement|null} root the panel <section> */
  constructor(root) {
    this.root = root;
    this.messages = new Map();   // job → the answer to its last Run press: [key, params] (written in the language of the moment)
    this.busy = new Set();
    if (!root) return;
    if (!document.getElementById('jobs-panel-style')) {
      const s = document.createElement('style');
      s.id = 'jobs-panel-style';
      s.textContent = STYLE;
      document.head.appendChild(s);
    }
    root.innerHTML = `<header class="box-head-row"><h2></h2><span class="count" data-role="summary"></span></header>
      <ul class="job-rows" data-testid="job-rows"></ul>`;
    const relabel = () => {
      root.querySelector('h2').textContent = t('panels.jobs.heading');
      if (this.failure) this.showFailure();
      else if (this.jobs) this.render();
    };
    relabel();
    onLangChange(relabel);
    root.addEventListener('click', (e) => {
      const btn = e.target.closest('button[data-run]');
      if (btn) void this.run(btn.dataset.run);
    });
  }

  async refresh(now = Date.now()) {
    if (!this.root) return;
    try {
      const { jobs } = await call('GET', '/api/jobs?runs=1');
      this.jobs = jobs;
      this.failure = null;
      this.render(now);
    } catch (err) {
      if (err.unreachable) throw err;
      this.failure = err.message;
      this.showFailure();
    }
  }

  showFailure() {
    this.root.querySelector('.job-rows').innerHTML = `<li class="empty">${esc(t('panels.jobs.unavailable', { reason: this.failure }))}</li>`;
  }

  async run(name) {
    this.busy.add(name);
    this.messages.set(name, ['panels.jobs.running']);
    this.render();
    try {
      const run = await call('POST', `/api/jobs/${encodeURIComponent(name)}/run`, {});
      this.messages.set(name, ['panels.jobs.ran', { status: run.status }]);
    } catch (err) {
      this.messages.set(name, ['panels.jobs.notRun', { reason: err.message }]);
    } finally {
      this.busy.delete(name);
    }
    await this.refresh().catch(() => this.render());
  }

  render(now = Date.now()) {
    const jobs = this.jobs ?? [];
    const failed = jobs.filter((j) => j.lastRuns[0]?.status === 'failed').length;
    const summary = this.root.querySelector('[data-role=summary]');
    summary.textContent = failed ? t('panels.jobs.failedCount', { count: failed }) : t('panels.jobs.jobs', { count: jobs.length });
    summary.classList.toggle('hot', failed > 0);
    const list = this.root.querySelector('.job-rows');
    if (!jobs.length) return void (list.innerHTML = `<li class="empty">${esc(t('panels.jobs.empty'))}</li>`);
    list.innerHTML = jobs.map((j) => {
      const r = j.lastRuns[0];
      const progress = r?.status === 'running' && r.progress ? ` ${r.progress.done}${r.progress.total ? `/${r.progress.total}` : ''}` : '';
      const last = r
        ? `<span class="j-status j-${esc(r.status)}" data-testid="job-status">${esc(statusText(r.status))}${esc(progress)}</span> ${esc(fmtTime(Date.parse(r.finishedAt ?? r.startedAt), now))}`
        : `<span class="muted" data-testid="job-status">${esc(t('panels.jobs.neverRun'))}</span>`;
      const said = this.messages.get(j.name);
      const msg = said && t(said[0], said[1]?.status ? { status: statusText(said[1].status) } : said[1]);
      const meta = [t('panels.jobs.schedule', { schedule: j.schedule }), t('panels.jobs.next', { time: fmtTime(Date.parse(j.nextRun), now) }),
        ...(r ? [t('panels.jobs.by', { instance: r.instance })] : [])].join(' · ');
      return `<li data-testid="job-row" data-job="${esc(j.name)}" title="${esc(j.description)}">
        <span class="j-name">${esc(jobName(j.name))}</span>
        <span class="j-last">${last} <button type="button" data-run="${esc(j.name)}" data-testid="job-run" ${this.busy.has(j.name) ? 'disabled' : ''}>${esc(t('panels.jobs.run'))}</button></span>
        <span class="j-meta">${esc(meta)}</span>
        ${r && Object.keys(r.counts ?? {}).length ? `<span class="j-counts" data-testid="job-counts">${esc(fmtCounts(r.counts))}</span>` : ''}
        ${r?.error ? `<span class="j-error">${esc(r.error)}</span>` : ''}
        ${msg ? `<span class="j-meta" data-testid="job-message">${esc(msg)}</span>` : ''}
      </li>`;
    }).join('');
  }
}
