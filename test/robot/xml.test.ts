/**
 * The safe XML layer under the URDF reader: entity attacks and DTDs are refused outright (fast,
 * without memory growth), files are size-capped, and malformed XML is a UserError with its line.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadUrdf, parseUrdf } from '../../src/robot/urdf.js';
import { MAX_XML_BYTES, parseXml } from '../../src/robot/xml.js';
import { userError } from './fixtures.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'robosynth-xml-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The classic "billion laughs": 10 levels of tenfold references, 10^9 "lol"s (~3 GB) if expanded. */
function billionLaughs(): string {
  const entities = ['  <!ENTITY lol0 "lol">'];
  for (let i = 1; i <= 9; i++) entities.push(`  <!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?>\n<!DOCTYPE robot [\n${entities.join('\n')}\n]>\n<robot name="&lol9;">\n  <link name="base"/>\n</robot>\n`;
}

/** Quadratic blow-up: one 100 kB entity referenced 100 000 times (10 GB expanded). */
function quadraticBlowup(): string {
  const big = 'x'.repeat(100_000);
  return `<!DOCTYPE robot [<!ENTITY a "${big}">]>\n<robot name="r"><link name="${'&a;'.repeat(100_000)}"/></robot>`;
}

describe('parseXml', () => {
  it('returns the element tree with attributes, trimmed text, predefined entities decoded and start-tag lines', () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="utf-8"?>\n<!-- a comment -->\n<robot name="a &amp; b">\n  <link\n    name="x&#x41;">t &lt; u<![CDATA[ <raw> ]]></link>\n  <joint name="j"/>\n</robot>\n',
      'f.urdf',
    );
    expect(root.name).toBe('robot');
    expect(root.attributes.name).toBe('a & b');
    expect(root.line).toBe(3);
    expect(root.children.map((c) => [c.name, c.line])).toEqual([['link', 4], ['joint', 6]]);
    expect(root.children[0].attributes.name).toBe('xA');
    // Text and CDATA joined, then trimmed at the element's end (Collada reads identifiers from text).
    expect(root.children[0].text).toBe('t < u <raw>');
  });

  it('keeps namespace prefixes as written and strips a byte-order mark', () => {
    const root = parseXml('\ufeff<robot xmlns:xacro="http://wiki.ros.org/xacro"><xacro:property name="p"/></robot>', 'f.urdf');
    expect(root.children[0].name).toBe('xacro:property');
  });

  it('refuses a billion-laughs entity expansion quickly and without memory growth', () => {
    const before = process.memoryUsage().heapUsed;
    const start = performance.now();
    const message = userError(() => parseUrdf(billionLaughs(), 'bomb.urdf', {}));
    const ms = performance.now() - start;
    expect(message).toMatch(/^bomb\.urdf:2: DOCTYPE declarations are not allowed/);
    expect(ms).toBeLessThan(500);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(50 * 1024 * 1024);
  });

  it('refuses a quadratic-blowup entity the same way', () => {
    const start = performance.now();
    expect(userError(() => parseXml(quadraticBlowup(), 'q.urdf'))).toMatch(/^q\.urdf:1: DOCTYPE declarations are not allowed/);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('refuses external entities and external DTDs without touching the file system or the network', () => {
    const xxe = '<?xml version="1.0"?>\n<!DOCTYPE robot [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n<robot name="&xxe;"><link name="a"/></robot>';
    const message = userError(() => parseUrdf(xxe, 'xxe.urdf', {}));
    expect(message).toMatch(/^xxe\.urdf:2: DOCTYPE declarations are not allowed/);
    expect(message).not.toContain('root:');
    const parameter = '<!DOCTYPE robot [ <!ENTITY % p SYSTEM "file:///etc/passwd"> %p; ]><robot name="r"/>';
    expect(userError(() => parseXml(parameter, 'p.urdf'))).toMatch(/DOCTYPE declarations are not allowed/);
    const external = '<!DOCTYPE robot SYSTEM "http://example.invalid/robot.dtd"><robot name="r"/>';
    expect(userError(() => parseXml(external, 'e.urdf'))).toMatch(/DOCTYPE declarations are not allowed/);
  });

  it('treats an entity reference without a DTD as malformed, never as a lookup', () => {
    expect(userError(() => parseXml('<robot name="&xxe;"/>', 'u.urdf'))).toMatch(/^u\.urdf:1: malformed XML: undefined entity/);
    expect(userError(() => parseXml('<robot>\n<!ENTITY x "y">\n</robot>', 'v.urdf'))).toMatch(/^v\.urdf:2: malformed XML/);
  });

  it('reports malformed XML with its line', () => {
    expect(userError(() => parseXml('<robot name="r">\n  <link name="a">\n</robot>\n', 'm.urdf'))).toMatch(/^m\.urdf:3: malformed XML: unexpected close tag/);
    expect(userError(() => parseXml('<robot name="r">\n\n  <link name="a" name="b"/>\n</robot>', 'm.urdf'))).toMatch(/^m\.urdf:3: malformed XML: duplicate attribute/);
    expect(userError(() => parseXml('<robot name="r">\n<link name=a/>\n</robot>', 'm.urdf'))).toMatch(/^m\.urdf:2: malformed XML/);
    expect(userError(() => parseXml('', 'empty.urdf'))).toMatch(/^empty\.urdf(:1)?: malformed XML/);
    expect(userError(() => parseXml('<robot/>\n<robot/>', 'two.urdf'))).toMatch(/^two\.urdf:2: malformed XML/);
  });

  it('refuses text larger than 16 MB', () => {
    const text = `<robot name="r"><!--${' '.repeat(MAX_XML_BYTES)}--></robot>`;
    expect(userError(() => parseXml(text, 'big.urdf'))).toMatch(/^big\.urdf: the file is 1677\d{4} bytes \(16\.0 MB\); XML robot descriptions larger than 16 MB \(16777216 bytes\) are refused$/);
  });

  it('refuses a file larger than 16 MB before reading it', () => {
    const file = path.join(tmp, 'huge.urdf');
    writeFileSync(file, '<robot name="r">');
    truncateSync(file, 64 * 1024 * 1024); // sparse: no disk space used
    const start = performance.now();
    expect(userError(() => loadUrdf(file, {}))).toMatch(/huge\.urdf: the file is 67108864 bytes \(64\.0 MB\); XML robot descriptions larger than 16 MB/);
    expect(performance.now() - start).toBeLessThan(200);
  });
});
