// Scan to book: one box on the receive, pick/ship and count pages that turns a barcode into
// {gtin, lot, expiresOn, count, serial}. Three ways in, one parser (protocols/gs1/gs1.js, served at
// /vendor/gs1/, the same file the Node tests run):
//   - a USB/Bluetooth scanner that types into the focused input and ends with Enter (FNC1 arrives
//     as GS \x1d, or as typed "<GS>"; AIM prefixes ]C1 / ]d2 / ]Q3 are understood);
//   - the phone's camera (getUserMedia, facingMode environment), frames read every 250 ms;
//   - a photo of the label ("scan a photo"), which also works where the camera is not allowed.
// Images are read by the browser's BarcodeDetector where it exists and reads GS1 (it drops FNC1 on
// some platforms, so a result that does not parse is read again), else by zxing-wasm, whose
// reader and .wasm are served from /vendor/zxing/ (no CDN).
import { parseGs1 } from '/vendor/gs1/gs1.js';
import { el } from './doc-common.js';
import { t } from './i18n.js';
import { fmtDay } from './format.js';

// AIM symbology identifiers under which the text is a GS1 element string (zxing's Plain text mode)
const GS1_AIM = new Set([']C1', ']d2', ']Q3', ']e0', ']J1', ']E0', ']E3', ']E4']);
let zxing;
async function zxingReader() {
  zxing ??= import('/vendor/zxing/es/reader/index.js').then((m) => {
    m.prepareZXingModule({ overrides: { locateFile: (p, prefix) => (p.endsWith('.wasm') ? '/vendor/zxing/reader/zxing_reader.wasm' : prefix + p) } });
    return m;
  });
  return zxing;
}

/** every text a picture holds (each as the scanner would type it) */
export async function decodeImage(source) {
  const texts = [];
  if ('BarcodeDetector' in globalThis) {
    try {
      const found = await new globalThis.BarcodeDetector().detect(source instanceof Blob ? await createImageBitmap(source) : source);
      texts.push(...found.map((b) => b.rawValue));
    } catch { /* a detector without these formats: zxing below */ }
  }
  if (texts.some(parses)) return texts;
  const { readBarcodes } = await zxingReader();
  const results = await readBarcodes(source, { tryHarder: true, textMode: 'Plain', maxNumberOfSymbols: 4 });
  for (const r of results) texts.push(GS1_AIM.has(r.symbologyIdentifier) ? `${r.symbologyIdentifier}${r.text}` : r.text);
  return texts;
}

function parses(text) {
  try { parseGs1(text); return true; } catch { return false; }
}

/**
 * @param {{onScan:(s:object, raw:string)=>(string|void), testid?:string}} o onScan returns a line
 *   to show (what the scan did), or throws an Error whose message is shown as the problem
 */
export function scanBox({ onScan, testid = 'scan' }) {
  const status = el('div', { class: 'scan-status', 'data-testid': `${testid}-status`, 'aria-live': 'polite' });
  const say = (text, bad = false) => { status.textContent = text; status.classList.toggle('bad', bad); };
  const take = (raw) => {
    let s;
    try { s = parseGs1(raw); } catch (e) {
      say(t('scan.unreadable', { reason: e.details?.[0] ? `${e.details[0].field}: ${e.details[0].reason}` : e.message }), true);
      status.title = e.code ?? '';
      return false;
    }
    try { say(onScan(s, raw) || t('scan.read', { what: describe(s) })); } catch (e) { say(e.message, true); }
    return true;
  };
  const wedge = el('input', {
    class: 'scan-input', 'data-testid': `${testid}-input`, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', enterkeyhint: 'done',
    placeholder: t('scan.placeholder'), 'aria-label': t('scan.placeholder'),
  });
  wedge.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    if (wedge.value.trim() && take(wedge.value)) wedge.value = '';
  });
  const photo = el('input', { type: 'file', accept: 'image/*', capture: 'environment', hidden: true, 'data-testid': `${testid}-photo` });
  photo.addEventListener('change', async () => {
    const file = photo.files?.[0];
    if (!file) return;
    say(t('scan.reading'));
    try {
      const texts = await decodeImage(file);
      if (!texts.length) say(t('scan.nothingFound'), true);
      else take(texts.find(parses) ?? texts[0]);
    } catch (e) { say(t('scan.unreadable', { reason: e.message }), true); }
    photo.value = '';
  });
  const video = el('video', { class: 'scan-video', playsinline: true, muted: true, hidden: true });
  let stream = null;
  const stop = () => { stream?.getTracks().forEach((tr) => tr.stop()); stream = null; video.hidden = true; camBtn.textContent = t('scan.camera'); };
  const camBtn = el('button', { type: 'button', class: 'btn', 'data-testid': `${testid}-camera` }, t('scan.camera'));
  camBtn.addEventListener('click', async () => {
    if (stream) return stop();
    if (!navigator.mediaDevices?.getUserMedia) return say(t('scan.noCamera'), true);
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
    } catch (e) { return say(t('scan.noCamera'), true); }
    video.srcObject = stream;
    video.hidden = false;
    camBtn.textContent = t('scan.stopCamera');
    await video.play().catch(() => undefined);
    say(t('scan.pointCamera'));
    const canvas = document.createElement('canvas');
    const tick = async () => {
      if (!stream) return;
      if (video.videoWidth) {
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        const ctx = canvas.getContext('2d', { willReadFrequently: true });
        ctx.drawImage(video, 0, 0);
        const texts = await decodeImage(ctx.getImageData(0, 0, canvas.width, canvas.height)).catch(() => []);
        const good = texts.find(parses);
        if (good) { take(good); stop(); return; }
      }
      setTimeout(tick, 250);
    };
    tick();
  });
  const photoBtn = el('button', { type: 'button', class: 'btn', 'data-testid': `${testid}-photo-button`, onclick: () => photo.click() }, t('scan.photo'));
  return el('div', { class: 'scan-box', 'data-testid': testid },
    el('div', { class: 'scan-row' }, wedge, camBtn, photoBtn, photo), video, status);
}

/** one line for a person: what the code said */
export function describe(s) {
  return [s.gtin && t('scan.gtin', { gtin: s.gtin }), s.lot && t('scan.lot', { lot: s.lot }), s.expiresOn && t('scan.expires', { day: fmtDay(s.expiresOn) }),
    s.count && t('scan.count', { count: s.count }), s.serial && t('scan.serial', { serial: s.serial }), s.sscc && t('scan.sscc', { sscc: s.sscc })]
    .filter(Boolean).join(' · ');
}
