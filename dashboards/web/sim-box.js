// Demo-only fault injection box. Shown only when the cloud runs with a simulator
// (GET /api/sim answers 200); a 404 hides it for good.

import { getSim, setSimFault } from './api.js';
import { esc } from './format.js';
import { onLangChange, t } from './i18n.js';

// a fault the catalogue has no word for shows its code
const faultLabel = (f) => (t(`panels.sim.fault.${f}`) === `panels.sim.fault.${f}` ? f : t(`panels.sim.fault.${f}`));

export class SimBox {
  constructor(root) {
    this.root = root;
    this.disabled = false;
    this.busy = false;
    onLangChange(() => { if (this.last) this.render(this.last); });
    root.addEventListener('click', async (e) => {
      const b = e.target.closest('button[data-fault]');
      if (!b || this.busy) return;
      this.busy = true;
      b.disabled = true;
      try {
        const sim = await setSimFault(b.dataset.target, b.dataset.fault, b.getAttribute('aria-pressed') !== 'true');
        this.busy = false;
        this.render(sim);
      } catch (err) {
        this.busy = false;
        b.disabled = false;
        this.root.querySelector('.sim-error').textContent = err.message;
      }
    });
  }

  async refresh() {
    if (this.disabled) return;
    try {
      this.render(await getSim());
    } catch (err) {
      if (err.status === 404) {
        this.disabled = true;
        this.root.hidden = true;
      }
      // Other errors (cloud down): keep the last state; the banner already says so.
    }
  }

  render(sim) {
    if (this.busy && this.root.childElementCount) return;
    this.root.hidden = false;
    this.last = sim;
    const active = new Set((sim.active ?? []).map((a) => `${a.target}|${a.fault}`));
    this.root.innerHTML = `<h3 class="box-head">${esc(t('panels.sim.heading'))} <span class="demo-tag">${esc(t('panels.sim.demo'))}</span></h3>
      <table class="sim-table">${(sim.targets ?? [])
        .map(
          // each target offers only the faults that fit it (a room: door, compressor; a device: its link)
          (tg) => `<tr><th>${esc(tg.id)}<small>${esc(t(tg.kind === 'zone' ? 'panels.sim.room' : 'panels.sim.device'))}</small></th><td>${(tg.faults ?? sim.faults ?? [])
            .map((f) => {
              const on = active.has(`${tg.id}|${f}`);
              return `<button type="button" class="sim-btn${on ? ' on' : ''}" data-target="${esc(tg.id)}" data-fault="${esc(f)}" aria-pressed="${on}">${esc(faultLabel(f))}</button>`;
            })
            .join('')}</td></tr>`,
        )
        .join('')}</table><p class="sim-error"></p>`;
  }
}
