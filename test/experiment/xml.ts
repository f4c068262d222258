/**
 * A small XML reader for the tests: enough of XML to check that the SVG files are well formed
 * (every tag closed in order, attributes quoted, no stray `<` or `&`) and to look their elements up.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The concatenated text directly inside this element (entities decoded). */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, where: number): string {
  return text.replace(/&([a-zA-Z]+|#[0-9]+);|&/g, (m, name: string | undefined) => {
    if (name === undefined) throw new Error(`bare '&' near offset ${where}`);
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    const v = ENTITIES[name];
    if (v === undefined) throw new Error(`unknown entity ${m} near offset ${where}`);
    return v;
  });
}

/** Parses a document; throws on anything not well formed. Returns the root element. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const skipSpace = (): void => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  while (i < src.length) {
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i);
      if (end < 0) throw new Error('unterminated <?');
      i = end + 2;
    } else if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('</', i)) {
      const end = src.indexOf('>', i);
      const name = src.slice(i + 2, end).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}> at offset ${i}`);
      i = end + 1;
    } else if (src[i] === '<') {
      i++;
      const nameMatch = /^[A-Za-z_][\w:.-]*/.exec(src.slice(i));
      if (nameMatch === null) throw new Error(`bad tag name at offset ${i}`);
      const el: XmlElement = { name: nameMatch[0], attrs: {}, children: [], text: '' };
      i += nameMatch[0].length;
      let selfClosing = false;
      for (;;) {
        skipSpace();
        if (src.startsWith('/>', i)) {
          i += 2;
          selfClosing = true;
          break;
        }
        if (src[i] === '>') {
          i++;
          break;
        }
        const attr = /^([A-Za-z_][\w:.-]*)\s*=\s*"([^"<]*)"/.exec(src.slice(i));
        if (attr === null) throw new Error(`bad attribute in <${el.name}> at offset ${i}: ${src.slice(i, i + 30)}`);
        if (attr[1]! in el.attrs) throw new Error(`duplicate attribute ${attr[1]} in <${el.name}>`);
        el.attrs[attr[1]!] = decode(attr[2]!, i);
        i += attr[0].length;
      }
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children.push(el);
      else if (root !== null) throw new Error('two root elements');
      else root = el;
      if (!selfClosing) stack.push(el);
    } else {
      const end = src.indexOf('<', i);
      const raw = src.slice(i, end < 0 ? src.length : end);
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (raw.trim() !== '') throw new Error(`text outside the root at offset ${i}`);
      } else top.text += decode(raw, i);
      i = end < 0 ? src.length : end;
    }
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (root === null) throw new Error('no root element');
  return root;
}

/** Every element below (and including) `el`, depth-first. */
export function allElements(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap(allElements)];
}

/** Elements with a given tag name and, optionally, attribute values. */
export function findAll(el: XmlElement, name: string, attrs: Record<string, string> = {}): XmlElement[] {
  return allElements(el).filter((e) => e.name === name && Object.entries(attrs).every(([k, v]) => e.attrs[k] === v));
}

/** All text inside an element, children included. */
export function deepText(el: XmlElement): string {
  return el.text + el.children.map(deepText).join('');
}
