// Scheduled jobs (GET /api/jobs): each job with its schedule, next run and last run — status,
// counts, progress while it runs, the error when it failed — and a Run button
// (POST /api/jobs/:name/run, admin only: other roles see the 403 reason on the row).

import { call } from './panel-http.js';
import { esc, fmtTime } from './format.js';

const STYLE = `
.jobs-panel .job-rows { list-style: none; margin: 0; padding: 0 10px 8px; font-size: 13px; }
.jobs-panel .job-rows li { display: grid; grid-template-columns: 1fr auto; gap: 2px 8px; padding: 6px 0; border-bottom: 1px solid var(--line, #2a3140); }
.jobs-panel .j-name { font-weight: 600; }
.jobs-panel .j-meta, .jobs-panel .j-counts { grid-column: 1 / -1; color: var(--muted, #8a93a6); font-size: 12px; }
.jobs-panel .j-status { font-weight: 700; text-transform: uppercase; font-size: 11px; }
.jobs-panel .j-succeeded { color: #3fb950; } .jobs-panel .j-failed, .jobs-panel .j-abandoned { color: #f85149; } .jobs-panel .j-running { color: #d29922; }
.jobs-panel .j-error { grid-column: 1 / -1; color: #f85149; font-size: 12px; }
.jobs-panel button { font-size: 12px; }`;



const fmtCounts = (c) => Object.entries(c ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k.replaceAll('_', ' ')} ${v}`).join(' · ');

export class JobsPanel {
  /** @param {HTMLElement|null} root the panel <section> */
  constructor(root) {
    this.root = root;
    this.messages = new Map();   // job → the answer to its last Run press
    this.busy = new Set();
    if (!root) return;
    if (!document.getElementById('jobs-panel-style')) {
      const s = document.createElement('style');
      s.id = 'jobs-panel-style';
      s.textContent = STYLE;
      document.head.appendChild(s);
    }
    root.innerHTML = `<header class="box-head-row"><h2>Jobs</h2><span class="count" data-role="summary"></span></header>
      <ul class="job-rows" data-testid="job-rows"></ul>`;
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
      this.render(now);
    } catch (err) {
      if (err.unreachable) throw err;
      this.root.querySelector('.job-rows').innerHTML = `<li class="empty">jobs unavailable: ${esc(err.message)}</li>`;
    }
  }

  async run(name) {
    this.busy.add(name);
    this.messages.set(name, 'running…');
    this.render();
    try {
      const run = await call('POST', `/api/jobs/${encodeURIComponent(name)}/run`, {});
      this.messages.set(name, `ran: ${run.status}`);
    } catch (err) {
      this.messages.set(name, `not run: ${err.message}`);
    } finally {
      this.busy.delete(name);
    }
    await this.refresh().catch(() => this.render());
  }

  render(now = Date.now()) {
    const jobs = this.jobs ?? [];
    const failed = jobs.filter((j) => j.lastRuns[0]?.status === 'failed').length;
    const summary = this.root.querySelector('[data-role=summary]');
    summary.textContent = failed ? `${failed} failed` : `${jobs.length} jobs`;
    summary.classList.toggle('hot', failed > 0);
    const list = this.root.querySelector('.job-rows');
    if (!jobs.length) return void (list.innerHTML = '<li class="empty">no jobs registered</li>');
    list.innerHTML = jobs.map((j) => {
      const r = j.lastRuns[0];
      const progress = r?.status === 'running' && r.progress ? ` ${r.progress.done}${r.progress.total ? `/${r.progress.total}` : ''}` : '';
      const last = r
        ? `<span class="j-status j-${esc(r.status)}" data-testid="job-status">${esc(r.status)}${esc(progress)}</span> ${esc(fmtTime(Date.parse(r.finishedAt ?? r.startedAt), now))}`
        : '<span class="muted" data-testid="job-status">never run</span>';
      const msg = this.messages.get(j.name);
      return `<li data-testid="job-row" data-job="${esc(j.name)}" title="${esc(j.description)}">
        <span class="j-name">${esc(j.name)}</span>
        <span>${last} <button type="button" data-run="${esc(j.name)}" data-testid="job-run" ${this.busy.has(j.name) ? 'disabled' : ''}>Run</button></span>
        <span class="j-meta">${esc(j.schedule)} UTC · next ${esc(fmtTime(Date.parse(j.nextRun), now))}${r ? ` · by ${esc(r.instance)}` : ''}</span>
        ${r && Object.keys(r.counts ?? {}).length ? `<span class="j-counts" data-testid="job-counts">${esc(fmtCounts(r.counts))}</span>` : ''}
        ${r?.error ? `<span class="j-error">${esc(r.error)}</span>` : ''}
        ${msg ? `<span class="j-meta" data-testid="job-message">${esc(msg)}</span>` : ''}
      </li>`;
    }).join('');
  }
}
