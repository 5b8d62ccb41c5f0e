// Checks the console's dictionaries: both languages have the same keys, and
// every literal t('key') in the code has an entry. Returns a list of problems.
import fs from 'node:fs';
import path from 'node:path';

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.js') ? [path.join(dir, e.name)] : []);
}

export async function checkStrings(webDir) {
  const source = fs.readFileSync(path.join(webDir, 'js', 'strings.js'), 'utf8');
  const { DICTIONARIES } = await import('data:text/javascript,' + encodeURIComponent(source));
  const problems = [];
  const en = new Set(Object.keys(DICTIONARIES.en));
  const ja = new Set(Object.keys(DICTIONARIES.ja));
  for (const k of en) if (!ja.has(k)) problems.push(`missing in ja: ${k}`);
  for (const k of ja) if (!en.has(k)) problems.push(`missing in en: ${k}`);
  for (const file of walk(path.join(webDir, 'js'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) {
      const key = m[1];
      if (!key.endsWith('.') && !en.has(key)) problems.push(`undefined key ${key} in ${path.basename(file)}`);
    }
  }
  return problems;
}
