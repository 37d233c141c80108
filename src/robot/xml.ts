/**
 * XML reading for robot descriptions (URDF): src/xml.ts's safe parser (no DOCTYPE, no entity
 * expansion, nothing fetched) with URDF's limits and wording. Input is capped at MAX_XML_BYTES.
 */
import { UserError } from '../errors.js';
import { parseXmlTree, type XmlElement } from '../xml.js';

export { childrenNamed, type XmlElement } from '../xml.js';

/** Robot descriptions are small (kilobytes); anything bigger than this is refused unread. */
export const MAX_XML_BYTES = 16 * 1024 * 1024;

/** `file:line` for messages (`file` alone when the line is unknown). */
export function at(file: string, line?: number): string {
  return line ? `${file}:${line}` : file;
}

function tooLarge(bytes: number, file: string): UserError {
  const mb = (bytes / (1024 * 1024)).toFixed(1);
  return new UserError(`${file}: the file is ${bytes} bytes (${mb} MB); XML robot descriptions larger than 16 MB (${MAX_XML_BYTES} bytes) are refused`);
}

/** Throws a UserError when `bytes` exceeds MAX_XML_BYTES. */
export function checkXmlSize(bytes: number, file: string): void {
  if (bytes > MAX_XML_BYTES) throw tooLarge(bytes, file);
}

/**
 * Parses one XML document into its root element. `file` is only used in messages. Every problem
 * (size, DOCTYPE/ENTITY, malformed XML with its line and column) is a one-line UserError.
 */
export function parseXml(text: string, file: string): XmlElement {
  return parseXmlTree(text, MAX_XML_BYTES, {
    tooLarge: (bytes) => tooLarge(bytes, file),
    doctype: (line) => new UserError(
      `${at(file, line)}: DOCTYPE declarations are not allowed in robot descriptions (URDF needs none; ` +
        'entity definitions are refused to prevent entity-expansion and external-entity attacks)',
    ),
    malformed: (message, line, column) => new UserError(`${at(file, line)}: malformed XML: ${message} (column ${column})`),
    noRoot: () => new UserError(`${file}: malformed XML: the document has no root element`),
  });
}
