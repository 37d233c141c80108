/**
 * Safe XML reading for robot description files (URDF).
 *
 * The parser is saxes (the strict, conformant XML parser jsdom uses). It never opens a file or a
 * URL and never expands DTD-defined entities: it decodes only the five predefined entities
 * (&amp; &lt; &gt; &apos; &quot;) and numeric character references, and an undefined entity is a
 * well-formedness error. On top of that, any <!DOCTYPE (and so any <!ENTITY, which can only live
 * inside one) is refused outright: URDF never needs a DTD, and refusing it ends entity-expansion
 * ("billion laughs") and external-entity (XXE) attacks before they start. Input is capped at
 * MAX_XML_BYTES.
 */
import { SaxesParser } from 'saxes';
import { UserError } from '../errors.js';

/** Robot descriptions are small (kilobytes); anything bigger than this is refused unread. */
export const MAX_XML_BYTES = 16 * 1024 * 1024;

export interface XmlElement {
  /** The qualified name as written (namespace prefixes are not resolved: `xacro:macro`). */
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data (text and CDATA, entities decoded), not its children's. */
  text: string;
  /** 1-based line of the element's start tag, for messages. */
  line: number;
}

/** `file:line` for messages (`file` alone when the line is unknown). */
export function at(file: string, line?: number): string {
  return line ? `${file}:${line}` : file;
}

/** Throws a UserError when `bytes` exceeds MAX_XML_BYTES. */
export function checkXmlSize(bytes: number, file: string): void {
  if (bytes > MAX_XML_BYTES) {
    const mb = (bytes / (1024 * 1024)).toFixed(1);
    throw new UserError(`${file}: the file is ${bytes} bytes (${mb} MB); XML robot descriptions larger than 16 MB (${MAX_XML_BYTES} bytes) are refused`);
  }
}

/**
 * Parses one XML document into its root element. `file` is only used in messages. Every problem
 * (size, DOCTYPE/ENTITY, malformed XML with its line and column) is a one-line UserError.
 */
export function parseXml(text: string, file: string): XmlElement {
  // String length counts UTF-16 units: at most 3 UTF-8 bytes each, so only near the cap is the
  // exact byte count needed.
  if (text.length * 3 > MAX_XML_BYTES) checkXmlSize(Buffer.byteLength(text, 'utf8'), file);
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
    const line = start >= 0 ? lineAt(text, start) : parser.line;
    throw new UserError(
      `${at(file, line)}: DOCTYPE declarations are not allowed in robot descriptions (URDF needs none; ` +
        'entity definitions are refused to prevent entity-expansion and external-entity attacks)',
    );
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
    stack.pop();
  });
  const addText = (data: string) => {
    const current = stack[stack.length - 1];
    if (current) current.text += data;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('error', (error) => {
    // saxes prefixes its messages with "line:column: "; restate them as file:line: ...
    const message = error.message.replace(/^\d+:\d+:\s*/, '').split('\n')[0].replace(/\.$/, '');
    throw new UserError(`${at(file, parser.line)}: malformed XML: ${message} (column ${parser.column})`);
  });

  parser.write(text).close();
  if (!root) throw new UserError(`${file}: malformed XML: the document has no root element`);
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
