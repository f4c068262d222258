// `npm run docs` renders the guide, docs/bkn.md and docs/experiment.md as TypeDoc documents (HTML
// pages with the site's navigation), not as raw markdown copied under media/, and every picture and
// file they link to is in the output. TypeDoc runs once, with typedoc.json, into a temporary folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'tsgrad-typedoc-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const DOCUMENTS = ['guide', 'bkn', 'experiment'];
let log = '';
let status: number | null = null;

beforeAll(() => {
  const run = spawnSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--out', out], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  log = `${run.stdout}${run.stderr}`;
  status = run.status;
}, 240_000);

/** The local targets (no scheme, no bare anchor) of the href and src attributes of an HTML page. */
function localLinks(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="([^"]*)"/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((target) => target !== '' && !/^[a-z]+:/i.test(target));
}

describe('npm run docs', () => {
  it('runs without errors or warnings', () => {
    expect(status, log).toBe(0);
    expect(log).not.toMatch(/\[warning\]|\[error\]/);
  });

  for (const name of DOCUMENTS) {
    it(`docs/${name}.md is a rendered document page, not raw markdown under media/`, () => {
      const page = join(out, 'documents', `${name}.html`);
      expect(existsSync(page), `no ${page}`).toBe(true);
      const html = readFileSync(page, 'utf8');
      const title = readFileSync(join(root, 'docs', `${name}.md`), 'utf8').split('\n')[0]!.replace(/^# /, '');
      expect(html).toContain('<h1');
      expect(html).toContain(title.split(':')[0]!.replace(/&/g, '&amp;'));
      expect(existsSync(join(out, 'media', `${name}.md`))).toBe(false);
      // a bare file name such as "NOTES.md" in the text becomes a link to http://NOTES.md
      expect(html).not.toMatch(/href="https?:\/\/[\w.-]+\.md"/);
    });

    it(`every local link and picture of docs/${name}.md exists in the output`, () => {
      const page = join(out, 'documents', `${name}.html`);
      const missing = localLinks(readFileSync(page, 'utf8')).filter((target) => !existsSync(resolve(dirname(page), decodeURIComponent(target))));
      expect(missing).toEqual([]);
    });
  }

  it('every link to a section of a page names a heading that page has', () => {
    const pages = [join(out, 'index.html'), ...DOCUMENTS.map((name) => join(out, 'documents', `${name}.html`))];
    const broken: string[] = [];
    for (const page of pages) {
      const html = readFileSync(page, 'utf8');
      for (const [, target, anchor] of html.matchAll(/href="([^"#]*)#([^"]+)"/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.endsWith('.svg')) continue;
        const file = target === '' ? page : resolve(dirname(page), target!);
        if (!readFileSync(file, 'utf8').includes(`id="${anchor}"`)) broken.push(`${page} → ${target}#${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("experiment.md's charts are images in its page, and the files are SVGs", () => {
    const markdown = readFileSync(join(root, 'docs/experiment.md'), 'utf8');
    const pictures = [...markdown.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!.split('/').pop()!);
    expect(pictures.length).toBeGreaterThanOrEqual(4);
    const html = readFileSync(join(out, 'documents', 'experiment.html'), 'utf8');
    for (const file of pictures) {
      expect(html).toMatch(new RegExp(`<img[^>]*src="[^"]*${file.replace('.', '\\.')}"`));
      expect(readFileSync(join(out, 'media', file), 'utf8')).toContain('<svg');
    }
  });

  it("the README's links to the documents go to their pages", () => {
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const name of DOCUMENTS) expect(index).toContain(`href="documents/${name}.html"`);
    expect(readdirSync(join(out, 'media')).filter((f) => f.endsWith('.md') && DOCUMENTS.includes(f.replace('.md', '')))).toEqual([]);
  });
});
