/**
 * Safe XML reading, shared by the robot descriptions (URDF) and the Collada meshes they use.
 *
 * The parser is saxes (the strict, conformant XML parser jsdom uses). It never opens a file or a
 * URL and never expands DTD-defined entities: it decodes only the five predefined entities
 * (&amp; &lt; &gt; &apos; &quot;) and numeric character references, and an undefined entity is a
 * well-formedness error. On top of that, any <!DOCTYPE (and so any <!ENTITY, which can only live
 * inside one) is refused outright: neither format needs a DTD, and refusing it ends
 * entity-expansion ("billion laughs") and external-entity (XXE) attacks before they start.
 */
import { SaxesParser } from 'saxes';

export interface XmlElement {
  /** The qualified name as written (namespace prefixes are not resolved: `xacro:macro`). */
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data (text and CDATA, entities decoded, trimmed), not its children's. */
  text: string;
  /** 1-based line of the element's start tag, for messages. */
  line: number;
}

/** How each format words its failures; every one of them is thrown. */
export interface XmlErrors {
  tooLarge(bytes: number): Error;
  /** `line`: where the declaration starts. */
  doctype(line: number): Error;
  /** saxes's message without its position, and where it stopped. */
  malformed(message: string, line: number, column: number): Error;
  noRoot(): Error;
}

/** Parses one XML document of at most `maxBytes` (UTF-8) into its root element. */
export function parseXmlTree(text: string, maxBytes: number, errors: XmlErrors): XmlElement {
  // String length counts UTF-16 units: at most 3 UTF-8 bytes each, so only near the cap is the
  // exact byte count needed.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) throw errors.tooLarge(bytes);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark

  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let pendingLine = 1;

  // saxes reports the position after the last character it consumed: `line` is 1-based and
  // `column` counts the characters consumed on that line (0 right after a line break).
  parser.on('doctype', () => {
    // Report the line where the declaration starts, not where its internal subset ends.
    const start = text.lastIndexOf('<!DOCTYPE', parser.position);
    throw errors.doctype(start >= 0 ? lineAt(text, start) : parser.line);
  });
  parser.on('opentagstart', () => {
    // The name and the character ending it have just been read; when that character was a line
    // break, the tag started on the line before.
    pendingLine = parser.column === 0 ? parser.line - 1 : parser.line;
  });
  parser.on('opentag', (tag) => {
    // A prototype-free record: attribute names such as "constructor" stay plain data.
    const attributes = Object.assign(Object.create(null) as Record<string, string>, tag.attributes);
    const element: XmlElement = { name: tag.name, attributes, children: [], text: '', line: pendingLine };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    const element = stack.pop();
    if (element && element.text !== '') element.text = element.text.trim();
  });
  const addText = (data: string) => {
    const current = stack[stack.length - 1];
    if (current) current.text += data;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('error', (error) => {
    // saxes prefixes its messages with "line:column: ".
    const message = error.message.replace(/^\d+:\d+:\s*/, '').split('\n')[0].replace(/\.$/, '');
    throw errors.malformed(message, parser.line, parser.column);
  });

  parser.write(text).close();
  if (!root) throw errors.noRoot();
  return root;
}

/** 1-based line of the character at `offset`. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The element children of `element` named `name`, in document order. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}
