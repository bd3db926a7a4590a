import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The web UI's message catalogues (dashboards/web/i18n/en.js and zh-CN.js): a key missing in either
// language, a translation that drops or invents a {placeholder}, a key the pages use that no
// catalogue has, an SP_ERR code without a sentence, or words written straight into a translated
// page fail here — before a Chinese-speaking operator meets an English fragment or a raw key.

const WEB = fileURLToPath(new URL('../../dashboards/web/', import.meta.url));
const ERRORS = fileURLToPath(new URL('../../protocols/errors.ts', import.meta.url));
type Catalogue = Record<string, string>;
const load = async (file: string) => ((await import(new URL(`i18n/${file}`, new URL('../../dashboards/web/', import.meta.url)).href)) as { default: Catalogue }).default;
const en = await load('en.js');
const zh = await load('zh-CN.js');
const catalogues = { en, 'zh-CN': zh };

/** keys whose translations may use different placeholders, and why */
const PLACEHOLDERS_MAY_DIFFER: Record<string, string> = {
  // the server's reason is English: English shows it alone, other languages wrap it in the translated code's sentence
  'error.withReason': 'English needs only {reason}',
};

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const webFiles = (ext: string) => readdirSync(WEB).filter((f) => f.endsWith(ext)).map((f) => ({ name: f, text: readFileSync(join(WEB, f), 'utf8') }));

/** pages whose every word comes from the catalogues (the list grows until it is every page) */
const TRANSLATED_PAGES = ['stock.html', 'master-data.html', 'documents.html', 'tasks.html', 'lot-passport.html', 'analytics.html', 'reports.html', 'index.html', 'value.html'];
/**
 * scripts that draw (part of) a translated page from data: the dashboard's operations panels. Their
 * markup lives in string and template literals, so the check reads those (${…} parts blanked out).
 */
const TRANSLATED_SCRIPTS = ['devices-panel.js', 'jobs-panel.js', 'gateways-panel.js', 'notifications-panel.js'];

/**
 * The string and template literals of a script, comments skipped, each template's ${…} parts
 * replaced by \u0001 (nested templates inside them are literals of their own). A small scanner,
 * not a parser: a regex literal is recognised by what precedes its slash.
 */
function literalsOf(src: string): string[] {
  const out: string[] = [];
  let i = 0;
  const readTemplate = (): string => {
    // at the opening backtick
    let text = '';
    i++;
    while (i < src.length && src[i] !== '`') {
      if (src[i] === '\\') { text += src.slice(i, i + 2); i += 2; continue; }
      if (src[i] === '$' && src[i + 1] === '{') {
        i += 2;
        code('}');
        i++; // the closing brace
        text += '\u0001';
        continue;
      }
      text += src[i++];
    }
    i++;
    return text;
  };
  const readQuoted = (q: string): string => {
    let text = '';
    i++;
    while (i < src.length && src[i] !== q) {
      if (src[i] === '\\') { text += src.slice(i, i + 2); i += 2; continue; }
      text += src[i++];
    }
    i++;
    return text;
  };
  /** code up to an unmatched `end` (or the end of the file), collecting the literals in it */
  const code = (end: string | null) => {
    let depth = 0;
    let prev = '';
    while (i < src.length) {
      const c = src[i]!;
      if (end && c === end && depth === 0) return;
      if (c === '{') depth++;
      if (c === '}') depth--;
      if (c === '/' && src[i + 1] === '/') { while (i < src.length && src[i] !== '\n') i++; continue; }
      if (c === '/' && src[i + 1] === '*') { i = src.indexOf('*/', i + 2) + 2; continue; }
      if (c === '/' && (prev === '' || /[(,=:[!&|?{};+\n]/.test(prev))) {
        // a regex literal: skip it (character classes may hold a slash)
        i++;
        let inClass = false;
        while (i < src.length && (src[i] !== '/' || inClass)) {
          if (src[i] === '\\') i++;
          else if (src[i] === '[') inClass = true;
          else if (src[i] === ']') inClass = false;
          i++;
        }
        i++;
        prev = '/';
        continue;
      }
      if (c === '`') { out.push(readTemplate()); prev = '`'; continue; }
      if (c === '"' || c === "'") { out.push(readQuoted(c)); prev = c; continue; }
      if (!/\s/.test(c)) prev = c;
      i++;
    }
  };
  code(null);
  return out;
}

describe('web message catalogues, zh-CN and en', () => {
  it('have the same keys, none empty, with the same placeholders', () => {
    expect(Object.keys(zh).filter((k) => !(k in en)), 'in zh-CN only').toEqual([]);
    expect(Object.keys(en).filter((k) => !(k in zh)), 'in en only').toEqual([]);
    for (const [lang, cat] of Object.entries(catalogues)) {
      for (const [k, v] of Object.entries(cat)) expect(typeof v === 'string' && v.trim().length > 0, `${lang} ${k} is empty`).toBe(true);
    }
    const differ = Object.keys(en).filter((k) => !(k in PLACEHOLDERS_MAY_DIFFER) && placeholders(en[k]!).join() !== placeholders(zh[k] ?? '').join());
    expect(differ, 'placeholders differ between en and zh-CN').toEqual([]);
    // the Chinese catalogue is Chinese: a value with no CJK character is an untranslated copy (allowed: symbols, codes, units)
    const untranslated = Object.entries(zh).filter(([k, v]) => /[a-z]{3,}/i.test(v.replace(/\{\w+\}|stockpulse|Modbus|API|MQTT|GTIN|GS1|CSV|PDF|QA|FEFO|SKU/g, '')) && !/\p{Script=Han}/u.test(v)).map(([k]) => k);
    expect(untranslated, 'zh-CN values without Chinese').toEqual([]);
  });

  it('define each key once: the page files (i18n/PAGE.LANG.js) spread into one catalogue must not shadow each other', () => {
    for (const lang of Object.keys(catalogues)) {
      const files = readdirSync(join(WEB, 'i18n')).filter((f) => f === `${lang}.js` || f.endsWith(`.${lang}.js`));
      const seen = new Map<string, string>();
      const twice: string[] = [];
      for (const f of files) {
        for (const m of readFileSync(join(WEB, 'i18n', f), 'utf8').matchAll(/^\s*'([\w.-]+)':/gm)) {
          if (seen.has(m[1]!)) twice.push(`${m[1]} in ${seen.get(m[1]!)} and ${f}`);
          seen.set(m[1]!, f);
        }
      }
      expect(twice, lang).toEqual([]);
      expect(seen.size, `${lang}: every key of the files reaches the catalogue`).toBe(Object.keys(catalogues[lang as keyof typeof catalogues]).length);
    }
  });

  it('hold every key the pages use: t("…"), data-i18n and data-i18n-attr; dynamic keys by their prefix', () => {
    const used = new Set<string>();
    const prefixes = new Set<string>();
    for (const f of [...webFiles('.js'), ...webFiles('.html')]) {
      for (const m of f.text.matchAll(/\bt\(\s*'([\w.-]+)'/g)) used.add(m[1]!);
      for (const m of f.text.matchAll(/\bt\(\s*`([\w.-]+)\.\$\{/g)) prefixes.add(`${m[1]}.`);
      for (const m of f.text.matchAll(/data-i18n="([\w.-]+)"/g)) used.add(m[1]!);
      for (const m of f.text.matchAll(/data-i18n-attr="([^"]+)"/g)) for (const pair of m[1]!.split(';')) used.add(pair.split(':')[1]!.trim());
    }
    expect(used.size).toBeGreaterThan(20);
    for (const [lang, cat] of Object.entries(catalogues)) {
      expect([...used].filter((k) => !(k in cat)), `keys used by the pages missing in ${lang}`).toEqual([]);
      expect([...prefixes].filter((p) => !Object.keys(cat).some((k) => k.startsWith(p))), `dynamic key families missing in ${lang}`).toEqual([]);
    }
  });

  it('give every SP_ERR code a sentence in both languages (the code stays for logs and scripts)', () => {
    const codes = [...new Set(readFileSync(ERRORS, 'utf8').match(/SP_ERR_[A-Z0-9_]+/g) ?? [])];
    expect(codes.length).toBeGreaterThan(15);
    for (const [lang, cat] of Object.entries(catalogues)) {
      expect(codes.filter((c) => !cat[`error.${c}`]), `codes without a sentence in ${lang}`).toEqual([]);
    }
  });

  it('leave no words written into a translated page: every element with text takes it from a key', () => {
    for (const page of TRANSLATED_PAGES) {
      const html = readFileSync(join(WEB, page), 'utf8').replace(/<(script|style)[\s\S]*?<\/\1>/g, '');
      const bare: string[] = [];
      // an opening tag directly followed by text with a letter in it: that element must carry data-i18n
      for (const m of html.matchAll(/<(\w+)([^>]*)>([^<]*\p{L}[^<]*)</gu)) {
        if (!/data-i18n=/.test(m[2]!)) bare.push(`<${m[1]}> ${m[3]!.trim()}`);
      }
      expect(bare, `${page}: text without data-i18n`).toEqual([]);
    }
  });

  it('leave no words written into the scripts that draw a translated page: markup text, titles, placeholders and messages come from t()', () => {
    // the scanner sees through templates and skips regex literals and comments
    expect(literalsOf("const a = /['`]/g; // 'no'\nconst b = `<b>${t('x')}</b> and ${`<i>${y}</i>`}`; const c = 'Run';"))
      .toEqual(['x', '<i>\u0001</i>', '<b>\u0001</b> and \u0001', 'Run']);
    const letters = (s: string) => /\p{L}{2,}/u.test(s.replace(/&\w+;/g, ''));
    for (const script of TRANSLATED_SCRIPTS) {
      const bare: string[] = [];
      for (const lit of literalsOf(readFileSync(join(WEB, script), 'utf8'))) {
        // text between tags
        for (const m of lit.matchAll(/>([^<>]*)</g)) if (letters(m[1]!)) bare.push(`>${m[1]!.trim()}<`);
        // a literal that opens or closes with text next to markup (`notified: <span>…`)
        if (/<\/?[a-z]/i.test(lit)) {   // markup (a stylesheet's child combinator is not)
          const head = lit.slice(0, lit.search(/</) === -1 ? 0 : lit.search(/</));
          const tail = lit.slice(lit.lastIndexOf('>') + 1);
          for (const part of [head, tail]) if (letters(part)) bare.push(part.trim());
        }
        // attributes a person reads
        for (const m of lit.matchAll(/\b(title|placeholder|aria-label|alt)="([^"]*)"/g)) if (letters(m[2]!)) bare.push(`${m[1]}="${m[2]}"`);
      }
      // messages set as text or asked in a dialog (a literal straight into the sink)
      const src = readFileSync(join(WEB, script), 'utf8');
      for (const m of src.matchAll(/(?:textContent\s*=|confirm\(|alert\(|\.say\(|messages\.set\([^,]+,)\s*(['"`])((?:\\.|(?!\1).)*)\1/g)) {
        if (letters(m[2]!.replace(/\$\{[^}]*\}/g, '')) && !(m[2]! in en)) bare.push(m[2]!);   // a key handed to say() is fine
      }
      expect(bare, `${script}: words not from the catalogue`).toEqual([]);
    }
  });
});
