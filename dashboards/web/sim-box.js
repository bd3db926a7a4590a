// Demo-only fault injection box. Shown only when the cloud runs with a simulator
// (GET /api/sim answers 200); a 404 hides it for good.

import { getSim, setSimFault } from './api.js';
import { esc } from './format.js';

const FAULT_LABEL = { door_open: 'Door open', compressor_failure: 'Compressor fail', dropout: 'Drop-out', garbage: 'Garbage frames' };

export class SimBox {
  constructor(root) {
    this.root = root;
    this.disabled = false;
    this.busy = false;
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
    const active = new Set((sim.active ?? []).map((a) => `${a.target}|${a.fault}`));
    this.root.innerHTML = `<h3 class="box-head">Simulator <span class="demo-tag">demo</span></h3>
      <table class="sim-table">${(sim.targets ?? [])
        .map(
          // each target offers only the faults that fit it (a room: door, compressor; a device: its link)
          (t) => `<tr><th>${esc(t.id)}<small>${esc(t.kind === 'zone' ? 'room' : 'device')}</small></th><td>${(t.faults ?? sim.faults ?? [])
            .map((f) => {
              const on = active.has(`${t.id}|${f}`);
              return `<button type="button" class="sim-btn${on ? ' on' : ''}" data-target="${esc(t.id)}" data-fault="${esc(f)}" aria-pressed="${on}">${esc(FAULT_LABEL[f] ?? f)}</button>`;
            })
            .join('')}</td></tr>`,
        )
        .join('')}</table><p class="sim-error"></p>`;
  }
}
